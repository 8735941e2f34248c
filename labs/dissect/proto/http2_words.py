"""HTTP/2's vocabulary for the dissector (`labs.dissect.proto.http2`): frame
types, SETTINGS identifiers, error codes and flags, with Wireshark's field
names and a plain explanation of each (RFC 9113 sections 6, 7 and 11)."""

from __future__ import annotations

TYPES = {
    0: "DATA",
    1: "HEADERS",
    2: "PRIORITY",
    3: "RST_STREAM",
    4: "SETTINGS",
    5: "PUSH_PROMISE",
    6: "PING",
    7: "GOAWAY",
    8: "WINDOW_UPDATE",
    9: "CONTINUATION",
}
TYPE_EXPLAIN = {
    "DATA": "Carries body bytes of one stream's request or response.",
    "HEADERS": "Opens a stream (a request) or answers on it: the headers, HPACK-compressed.",
    "PRIORITY": "Suggests how important a stream is (deprecated in RFC 9113).",
    "RST_STREAM": "Cancels one stream; the connection and the other streams carry on.",
    "SETTINGS": "How this side wants the connection run (window sizes, limits); "
    "the other side acknowledges with an empty SETTINGS with the ACK flag.",
    "PUSH_PROMISE": "The server announces a response the client did not ask for (server push).",
    "PING": "Checks the connection is alive and measures the round trip; answered with ACK.",
    "GOAWAY": "This side will start no new streams: the polite end of the connection.",
    "WINDOW_UPDATE": "Flow control: 'I have made room for this many more bytes of DATA'.",
    "CONTINUATION": "More of a header block that did not fit in one frame.",
}
#: SETTINGS identifier -> (Wireshark field of its value, name as RFC 9113 spells it).
SETTINGS = {
    1: ("http2.settings.header_table_size", "HEADER_TABLE_SIZE"),
    2: ("http2.settings.enable_push", "ENABLE_PUSH"),
    3: ("http2.settings.max_concurrent_streams", "MAX_CONCURRENT_STREAMS"),
    4: ("http2.settings.initial_window_size", "INITIAL_WINDOW_SIZE"),
    5: ("http2.settings.max_frame_size", "MAX_FRAME_SIZE"),
    6: ("http2.settings.max_header_list_size", "MAX_HEADER_LIST_SIZE"),
    8: ("http2.settings.extended_connect", "ENABLE_CONNECT_PROTOCOL"),
}
SETTING_EXPLAIN = {
    1: "How many bytes of remembered headers (HPACK's dynamic table) the sender keeps.",
    2: "Whether the server may push responses nobody asked for (0: no).",
    3: "How many requests may be open at once on this connection.",
    4: "How many DATA bytes may be in flight per stream before a WINDOW_UPDATE.",
    5: "The largest frame payload the sender accepts.",
    6: "The largest header list the sender accepts.",
    8: "Whether WebSockets may run over HTTP/2 streams (RFC 8441).",
}
ERRORS = {
    0: "NO_ERROR",
    1: "PROTOCOL_ERROR",
    2: "INTERNAL_ERROR",
    3: "FLOW_CONTROL_ERROR",
    5: "STREAM_CLOSED",
    7: "REFUSED_STREAM",
    8: "CANCEL",
    11: "ENHANCE_YOUR_CALM",
}
#: Frame types whose flags Wireshark names: (bit, field, label).
FLAGS = {
    0: ((0x1, "http2.flags.end_stream", "END_STREAM"), (0x8, "http2.flags.padded", "PADDED")),
    1: (
        (0x1, "http2.flags.end_stream", "END_STREAM"),
        (0x4, "http2.flags.eh", "END_HEADERS"),
        (0x8, "http2.flags.padded", "PADDED"),
        (0x20, "http2.flags.priority", "PRIORITY"),
    ),
    4: ((0x1, "http2.flags.ack.settings", "ACK"),),
    6: ((0x1, "http2.flags.ack.ping", "ACK"),),
    9: ((0x4, "http2.flags.eh", "END_HEADERS"),),
}
