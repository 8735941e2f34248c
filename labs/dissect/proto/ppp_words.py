"""What the narration says of PPPoE, PPP (LCP, IPCP, PAP, CHAP) and L2TP
messages (the layers `labs.dissect.proto.ppp`, `ppp_auth`, `l2tp` and
`l2tp3` read): the
packet-list line and a phrase, offered the way an application protocol
offers them (`App.describe`, `App.summarize`, matched by layer name). A
frame that only carries an IP packet says nothing here, so what it carries
speaks."""

from __future__ import annotations

from collections.abc import Callable

from labs.dissect.proto.base import App, Stream, app, first_field
from labs.dissect.proto.l2tp import MESSAGE_TYPES
from labs.dissect.proto.ppp import CONTROL_CODES
from labs.dissect.proto.ppp_auth import CHAP, LAYERS, MEANS, PAP
from labs.model.trace import Layer

_DISCOVERY = {
    "0x09": ("PADI", "a PPPoE discovery broadcast (PADI): is there an access concentrator?"),
    "0x07": ("PADO", "a PPPoE offer (PADO): this access concentrator can serve it"),
    "0x19": ("PADR", "a PPPoE session request (PADR) to the concentrator it picked"),
    "0x65": ("PADS", "a PPPoE confirmation (PADS): the session is open"),
    "0xa7": ("PADT", "a PPPoE terminate (PADT): the session is over"),
}
_CONTROL = ("PPP Link Control Protocol", "PPP IP Control Protocol")
_AUTH = {LAYERS[PAP]: (PAP, "PAP", "pap.peer_id"), LAYERS[CHAP]: (CHAP, "CHAP", "chap.name")}
_TUNNELS = ("L2TP", "L2TPv3")


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
    auth = next((lay for lay in layers if lay.name in _AUTH), None)
    if auth is not None:
        return _auth(layers, auth)
    control = next((lay for lay in layers if lay.name in _CONTROL), None)
    if control is None:
        return "", ""
    what = "LCP" if control.name == _CONTROL[0] else "IPCP"
    code = control.field("ppp.code")
    if code is None:
        return "", ""
    name = CONTROL_CODES.get(int(code.value), f"code {code.value}")
    means = code.explain.split(": ", 1)[-1].rstrip(".") if code.explain else ""
    phrase = f"a PPP {what} {name}{_through(layers)}" + (f": it {means}" if means else "")
    return phrase, f"PPP {what} {name}"


def _through(layers: tuple[Layer, ...]) -> str:
    return " through the L2TP tunnel" if any(lay.name in _TUNNELS for lay in layers) else ""


def _auth(layers: tuple[Layer, ...], auth: Layer) -> tuple[str, str]:
    """A PAP or CHAP message: who logs in, never the password."""
    proto, what, who = _AUTH[auth.name]
    code = auth.field(f"{what.lower()}.code")
    if code is None:
        return "", ""
    name = auth.field(who)
    by = f" from {name.value}" if name is not None and name.value else ""
    means = MEANS.get((proto, int(code.value)), "")
    phrase = f"a PPP {what} {code.show}{by}{_through(layers)}" + (f": {means}" if means else "")
    return phrase, f"PPP {what} {code.show}"


def _l2tp(layers: tuple[Layer, ...]) -> tuple[str, str]:
    head = next((lay for lay in layers if lay.name in _TUNNELS), None)
    if head is None:
        return "", ""
    kind, v3 = head.field("l2tp.type"), head.name == "L2TPv3"
    if kind is None or kind.value != "1":
        session = head.field("l2tp.sid")
        if v3 and session is not None:
            return (
                f"an L2TPv3 data message of session {session.value}: what it carries depends on "
                "the session's pseudowire type, agreed in control messages this capture does not "
                "show, so it stays plain data (as in Wireshark)",
                f"L2TPv3 data (session {session.value})",
            )
        return "", ""  # a data message: the PPP frame inside speaks
    msg = head.field("l2tp.avp.message_type")
    if msg is None:
        return (
            f"an {head.name} acknowledgement with no message (ZLB): it only confirms what it "
            "received",
            f"{head.name} ZLB",
        )
    name = MESSAGE_TYPES.get(int(msg.value), f"message {msg.value}")
    return f"an {head.name} control message, {msg.explain.rstrip('.')}", f"{head.name} {name}"


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
_register("l2tpv3", _l2tp)
