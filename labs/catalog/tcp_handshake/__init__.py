"""The tcp-handshake lab."""
