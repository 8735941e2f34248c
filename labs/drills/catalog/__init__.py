"""One folder per drill (see ../README.md)."""
