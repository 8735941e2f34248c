"""The API's TLS certificate has expired, or is for another name (seeded):
the laptop aborts the handshake with a TLS alert."""
