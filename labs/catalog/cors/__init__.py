"""The cors lab: a page on one origin calls an API on another, in a real browser."""
