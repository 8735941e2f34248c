"""What a lab declares and the host facts it relies on: the base class
(`base`), its options (`spec`, `condition_options`), host/port parsing and the
interface a capture listens on (`hostport`), what this system can do
(`system`), and Wireshark display filters over a trace (`display_filter`).
Above the model, below dissection and capture.
"""
