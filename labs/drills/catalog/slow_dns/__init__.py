"""The office resolver takes seconds to answer: every new connection to a
name starts seconds late, though the server answers in milliseconds."""
