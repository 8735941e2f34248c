"""The API's name has no DNS record (deleted, or created with a typo): the
resolver answers NXDOMAIN and nothing is ever sent to the server."""
