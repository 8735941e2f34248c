"""Dissection: bytes to layers to Wireshark-named fields to plain language
(`core` for whole traces, `proto/` for each protocol's declarations)."""
