"""PostgreSQL's message types and codes in Wireshark's words and in plain
ones (the protocol is in the PostgreSQL documentation, "Frontend/Backend
Protocol", chapter 55 of the PostgreSQL 16 manual)."""

from __future__ import annotations

#: Type byte -> (Wireshark's name, what it is for a learner), client to server.
FRONTEND = {
    "Q": ("Simple query", "The application sends one SQL statement as text."),
    "P": ("Parse", "A statement with $1-style placeholders, to be prepared once."),
    "B": ("Bind", "The values for a prepared statement's placeholders."),
    "E": ("Execute", "Run the bound statement now."),
    "D": ("Describe", "Asks what columns a statement will return."),
    "C": ("Close", "Forget a prepared statement or portal."),
    "H": ("Flush", "Asks the server to send what it has ready."),
    "S": ("Sync", "Ends a batch of extended-protocol messages; the server answers Z."),
    "F": ("Function call", "Calls a server function directly."),
    "d": ("Copy data", "Bulk data of a COPY."),
    "c": ("Copy completion", "The end of a COPY's data."),
    "f": ("Copy failure", "The client abandons a COPY."),
    "X": ("Termination", "The application says goodbye before closing the connection."),
    "p": ("Password message", "The client proves who it is."),
}

#: Type byte -> (Wireshark's name, what it is for a learner), server to client.
BACKEND = {
    "R": ("Authentication request", "The server says how the client must prove who it is."),
    "K": (
        "Backend key data",
        "The server process's id and a secret key, used to cancel a running query.",
    ),
    "S": ("Parameter status", "One setting of this session (time zone, encoding, version)."),
    "1": ("Parse completion", "The statement was prepared."),
    "2": ("Bind completion", "The values were bound."),
    "3": ("Close completion", "Forgotten, as asked."),
    "C": ("Command completion", "The statement finished; the tag says what it did."),
    "t": ("Parameter description", "The types of a prepared statement's placeholders."),
    "T": ("Row description", "The result's columns: names and types, sent once per result."),
    "D": ("Data row", "One row of the result, each value as text."),
    "I": ("Empty query", "The statement was empty."),
    "n": ("No data", "The statement returns no rows."),
    "E": ("Error", "The statement failed; the fields say why."),
    "N": ("Notice", "A warning or a note from the server."),
    "s": ("Portal suspended", "Only part of the rows were sent, as asked."),
    "Z": (
        "Ready for query",
        "The server is idle and waits for the next statement: one round trip ends here.",
    ),
    "A": ("Notification", "A LISTEN/NOTIFY message."),
    "V": ("Function call response", "The result of a function call."),
    "G": ("CopyIn response", "The server is ready to receive COPY data."),
    "H": ("CopyOut response", "The server starts sending COPY data."),
    "d": ("Copy data", "Bulk data of a COPY."),
    "c": ("Copy completion", "The end of a COPY's data."),
    "v": ("Negotiate protocol version", "The server supports an older minor version."),
}

#: The four-byte codes of the messages that have no type byte.
UNTYPED = {
    196608: ("Startup message", "The first message: protocol 3.0, the user and the database."),
    80877103: ("SSL request", "Asks whether the server speaks TLS; 'N' means no, 'S' yes."),
    80877102: ("Cancel request", "Cancels a running query (on a new connection)."),
    80877104: ("GSS encrypt request", "Asks for GSSAPI encryption."),
}

#: Authentication request codes (Wireshark's names).
AUTH = {
    0: ("Success", "The client is in: the password (or proof) was right."),
    2: ("Kerberos V5", "Kerberos authentication."),
    3: ("Plaintext password", "Send the password in clear text (readable on the wire)."),
    5: ("MD5 password", "Send an MD5 hash of the password with this salt."),
    7: ("GSSAPI", "GSSAPI authentication."),
    8: ("GSSAPI/SSPI continue", "More GSSAPI data."),
    9: ("SSPI", "SSPI authentication."),
    10: (
        "SASL",
        "Prove the password without sending it (SCRAM-SHA-256): a challenge and a proof, "
        "two more round trips.",
    ),
    11: ("SASL continue", "The server's challenge: its nonce, a salt and an iteration count."),
    12: ("SASL complete", "The server's own proof that it knows the password too."),
}

#: Ready-for-query status byte -> Wireshark's name.
STATUS = {73: "Idle", 84: "In a transaction", 69: "In a failed transaction"}

#: Error and notice field codes -> (Wireshark field, label).
ERROR_FIELDS = {
    "S": ("pgsql.severity", "Severity"),
    "V": ("pgsql.text", "Text"),
    "C": ("pgsql.code", "Code"),
    "M": ("pgsql.message", "Message"),
    "D": ("pgsql.detail", "Detail"),
    "H": ("pgsql.hint", "Hint"),
    "P": ("pgsql.position", "Position"),
    "p": ("pgsql.internal_position", "Position (Internal)"),
    "q": ("pgsql.internal_query", "Query (Internal)"),
    "W": ("pgsql.where", "Context"),
    "s": ("pgsql.schema_name", "Schema"),
    "t": ("pgsql.table_name", "Table"),
    "c": ("pgsql.column_name", "Column"),
    "d": ("pgsql.type_name", "Type"),
    "n": ("pgsql.constraint_name", "Constraint"),
    "F": ("pgsql.file", "File"),
    "L": ("pgsql.line", "Line"),
    "R": ("pgsql.routine", "Routine"),
}

#: Type OIDs a learner meets in a result (pg_type), for the row description.
TYPES = {
    16: "boolean",
    20: "bigint",
    21: "smallint",
    23: "integer",
    25: "text",
    1043: "varchar",
    1082: "date",
    1114: "timestamp",
    1184: "timestamptz",
    1700: "numeric",
    701: "double precision",
}
