"""The lab kit: everything a lab imports, and nothing else.

A lab is one folder under `labs/catalog/` (see docs/architecture.md):

- `spec.py`: `SPEC = LabSpec(...)`, its options declared with `Option`;
- `run.py`: `record(request, ctx) -> Recording[Result]` (the network half,
  usually `capture_run(...)`), `explain(recording) -> Trace` (the words,
  usually ending in `make_trace(...)`), and `RESULT`, the lab's result type.

Labs import from here and from the contract modules (`labs.model.trace`,
`labs.model.errors`, `labs.core.base`, `labs.core.spec`, `labs.core.hostport`), never from the
engine packages directly and never from another lab.
"""

from labs.capture.core import Capture
from labs.capture.leftovers import orphan_programs
from labs.capture.recorder import ConversationLog, Event
from labs.capture.where import capture_where
from labs.core.base import LabContext, RawPacket
from labs.core.hostport import (
    Endpoint,
    free_port,
    parse_host_port,
    parse_url,
    port_is_closed,
    resolve,
)
from labs.core.spec import LabRequest, LabSpec, Option, Target
from labs.dissect.core import sender_ip
from labs.dissect.proto.http import HEADERS, status_meaning
from labs.kit.exchange import header, requests_of, titled_steps
from labs.kit.keylog import KEYLOG_ENV, keylog_file
from labs.kit.net import network_errors
from labs.kit.prose import PROSE_WIDTH, code_prose, conditions_lines
from labs.kit.record import Recording, load_recording, save_recording
from labs.kit.run import Plan, capture_run, make_trace, now, recording, signals_held
from labs.kit.serve import HTTPService, LabHTTPServer
from labs.model.errors import BadInput, Cancelled, LabError
from labs.model.trace import Fact, Field, Layer, Packet, Section, Step, Trace

__all__ = [
    "LabHTTPServer",
    "PROSE_WIDTH",
    "code_prose",
    "conditions_lines",
    "BadInput",
    "Cancelled",
    "Capture",
    "ConversationLog",
    "Endpoint",
    "Event",
    "Fact",
    "Field",
    "HEADERS",
    "HTTPService",
    "KEYLOG_ENV",
    "LabContext",
    "LabError",
    "LabRequest",
    "LabSpec",
    "Layer",
    "Option",
    "Packet",
    "Plan",
    "RawPacket",
    "Recording",
    "Section",
    "Step",
    "Target",
    "Trace",
    "capture_run",
    "capture_where",
    "free_port",
    "header",
    "keylog_file",
    "load_recording",
    "make_trace",
    "network_errors",
    "now",
    "orphan_programs",
    "parse_host_port",
    "parse_url",
    "port_is_closed",
    "recording",
    "requests_of",
    "resolve",
    "save_recording",
    "sender_ip",
    "signals_held",
    "status_meaning",
    "titled_steps",
]
