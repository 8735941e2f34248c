"""What the narration says of PPPoE, PPP and L2TP messages (the layers
`labs.dissect.proto.ppp` and `labs.dissect.proto.l2tp` read): the
packet-list line and a phrase, offered the way an application protocol
offers them (`App.describe`, `App.summarize`, matched by layer name). A
frame that only carries an IP packet says nothing here, so what it carries
speaks."""

from __future__ import annotations

from collections.abc import Callable

from labs.dissect.proto.base import App, Stream, app, first_field
from labs.dissect.proto.l2tp import MESSAGE_TYPES
from labs.dissect.proto.ppp import CONTROL_CODES
from labs.model.trace import Layer

_DISCOVERY = {
    "0x09": ("PADI", "a PPPoE discovery broadcast (PADI): is there an access concentrator?"),
    "0x07": ("PADO", "a PPPoE offer (PADO): this access concentrator can serve it"),
    "0x19": ("PADR", "a PPPoE session request (PADR) to the concentrator it picked"),
    "0x65": ("PADS", "a PPPoE confirmation (PADS): the session is open"),
    "0xa7": ("PADT", "a PPPoE terminate (PADT): the session is over"),
}
_CONTROL = ("PPP Link Control Protocol", "PPP IP Control Protocol")


def _never(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    """These are read by the link-layer readers, never handed a payload."""
    raise ValueError("read as a header, not as a payload")


def _pppoe(layers: tuple[Layer, ...]) -> tuple[str, str]:
    code = first_field(layers, ("PPPoE Discovery",), "pppoe.code")
    if code is None:
        return "", ""
    short, phrase = _DISCOVERY.get(code.value, (f"code {code.value}", "a PPPoE discovery message"))
    session = first_field(layers, ("PPPoE Discovery",), "pppoe.session_id")
    if short in ("PADS", "PADT") and session is not None:
        phrase += f" (session {session.value})"
    return phrase, f"PPPoE {short}"


def _ppp(layers: tuple[Layer, ...]) -> tuple[str, str]:
    control = next((lay for lay in layers if lay.name in _CONTROL), None)
    if control is None:
        return "", ""
    what = "LCP" if control.name == _CONTROL[0] else "IPCP"
    code = control.field("ppp.code")
    if code is None:
        return "", ""
    name = CONTROL_CODES.get(int(code.value), f"code {code.value}")
    means = code.explain.split(": ", 1)[-1].rstrip(".") if code.explain else ""
    tunnel = " through the L2TP tunnel" if any(lay.name == "L2TP" for lay in layers) else ""
    phrase = f"a PPP {what} {name}{tunnel}" + (f": it {means}" if means else "")
    return phrase, f"PPP {what} {name}"


def _l2tp(layers: tuple[Layer, ...]) -> tuple[str, str]:
    kind = first_field(layers, ("L2TP",), "l2tp.type")
    if kind is None or kind.value != "1":
        return "", ""  # a data message: the PPP frame inside speaks
    msg = first_field(layers, ("L2TP",), "l2tp.avp.message_type")
    if msg is None:
        return (
            "an L2TP acknowledgement with no message (ZLB): it only confirms what it received",
            "L2TP ZLB",
        )
    name = MESSAGE_TYPES.get(int(msg.value), f"message {msg.value}")
    return f"an L2TP control message, {msg.explain.rstrip('.')}", f"L2TP {name}"


def _register(name: str, words: Callable[[tuple[Layer, ...]], tuple[str, str]]) -> None:
    def describe(layers: tuple[Layer, ...]) -> str:
        return words(layers)[0]

    def summarize(layers: tuple[Layer, ...]) -> str:
        return words(layers)[1]

    # "link": no payload is ever handed to them (`Session.apps` asks for tcp or udp).
    app(App(name, ("link",), (), _never, describe, summarize=summarize))


_register("pppoe", _pppoe)
_register("ppp", _ppp)
_register("l2tp", _l2tp)
