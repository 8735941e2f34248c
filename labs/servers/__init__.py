"""The real local servers labs start on 127.0.0.1 when no target is given.

Each binds an ephemeral port, is used as a context manager and is always
stopped when the block ends, also on error or Ctrl-C: `api` (the http-api
lab's REST API), `echo` (tcp-handshake), `dns`, `ftp`, `tls`.
"""
