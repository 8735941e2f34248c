"""Wireshark's calculated window (tcp.window_size) and its scale factor
(tcp.window_size_scalefactor), from the window-scale state the TCP analysis
keeps for each direction (`labs.dissect.tcp_checks.Side.win_scale`).

The window field counts units of 2^shift bytes, the shift each side sent in
its SYN's window-scale option; scaling is on only when both SYNs carry the
option. A SYN's own window is never scaled (Wireshark then shows no scale
factor); a side whose SYN the capture missed has an unknown scale (-1,
Wireshark shows the raw value); a handshake without the option on both
sides turns scaling off (-2)."""

from __future__ import annotations

from dataclasses import replace

from labs.dissect.tcp_analysis import Analyzer
from labs.dissect.tcp_checks import SYN, Segment
from labs.model.trace import Field

__all__ = ["quoted", "scale_of", "scaled", "with_window"]

#: Wireshark's names for a scale that is not a shift.
UNKNOWN, UNUSED = -1, -2

_VALUE = "tcp.window_size_value"
#: Where the window field is in most headers: after the ports, the stream
#: index, the four sequence and acknowledgment numbers, the header length,
#: the flags and their six bits.
_USUAL = 16


def scale_of(fwd: int, rev: int) -> int:
    """Wireshark's window scale for the sender (its `fwd->win_scale`) from
    the analysis' state of both directions: -1 no SYN seen, -2 off, else the
    shift. A SYN without the option turns scaling off for both directions
    in Wireshark (verify_tcp_window_scaling), also for the side whose SYN
    is never seen: the analysis marks only the SYN's own side."""
    if fwd == UNKNOWN and rev == UNUSED:
        return UNUSED
    # Wireshark uses 14 for a larger shift, as RFC 7323 says to.
    return min(fwd, 14)


def scaled(given: tuple[Field, ...], analyzer: Analyzer, s: Segment, at: int) -> tuple[Field, ...]:
    """`with_window` for the segment `s` the `analyzer` has just read (its
    TCP header at byte `at`, its fields `given`)."""
    scale = scale_of(*analyzer.scales(s.src, s.dst))
    return with_window(given, s.window, bool(s.flags & SYN), scale, at)


def quoted(
    given: tuple[Field, ...], analyzer: Analyzer, src: str, dst: str, at: int
) -> tuple[Field, ...]:
    """`with_window` for a TCP header (at byte `at`) from `src` to `dst`
    quoted in an ICMP error: Wireshark shows its window unscaled, and the
    scale of its conversation so far (-1 for one it has not seen)."""
    window = next((f for f in given if f.filter == _VALUE), None)
    flags = next((f for f in given if f.filter == "tcp.flags"), None)
    if window is None or flags is None:
        return given  # the quote ends before the window
    syn = bool(int(flags.value, 16) & SYN)
    scale = scale_of(*analyzer.scales(src, dst))
    return with_window(given, int(window.value), syn, scale, at, in_error=True)


#: (raw window << 32 | header offset << 7 | scale + 2 << 2 | in_error << 1 | syn) -> the
#: window field and the two computed ones. A handful of windows and scales
#: recur in a connection; emptied when it grows too big.
_MEMO: dict[int, tuple[Field, ...]] = {}
_MEMO_MAX = 1024


def with_window(
    given: tuple[Field, ...], raw: int, syn: bool, scale: int, at: int, in_error: bool = False
) -> tuple[Field, ...]:
    """The TCP header's fields (header at byte `at`, window `raw`) with
    tcp.window_size and (but in a SYN) tcp.window_size_scalefactor after
    the window field, as Wireshark puts them, and the window field saying
    what its value means here. `scale`: Wireshark's window scale of the
    sender (`scale_of`); `in_error`: the header is quoted in an ICMP error."""
    i = _USUAL
    if len(given) <= i or given[i].filter != _VALUE:
        i = next((n for n, f in enumerate(given) if f.filter == _VALUE), -1)
        if i < 0:
            return given
    key = (raw << 32) | (at << 7) | ((scale + 2) << 2) | (in_error << 1) | syn
    made = _MEMO.get(key)
    if made is None:
        if len(_MEMO) > _MEMO_MAX:
            _MEMO.clear()
        made = _MEMO[key] = _fields(given[i], raw, syn, scale, at + 14, in_error)
    return (*given[:i], *made, *given[i + 1 :])


def _fields(
    value: Field, raw: int, syn: bool, scale: int, at: int, in_error: bool
) -> tuple[Field, ...]:
    """The window field `value` (at byte `at`) said again, and the computed
    fields Wireshark puts on the same two bytes."""
    if syn:
        return (value, _size(raw, at, f"{raw:,} bytes: a SYN's window is never scaled."))
    window = raw << scale if scale >= 0 and not in_error else raw
    if scale >= 0:
        factor = 1 << scale
        says = f"{raw} units of {factor:,} bytes (the window scale this side announced in its SYN)"
        if not scale:
            says = f"room for {raw:,} more bytes (this side's SYN set a window scale of 0: x1)"
        size_says = f"{raw} × {factor:,} = {window:,} bytes: {_ROOM}"
        factor_value, factor_show = str(factor), f"x{factor}"
        factor_says = (
            f"Window values from this side count units of 2^{scale} = {factor:,} bytes "
            f"(the shift {scale} in its SYN's window-scale option)."
        )
    elif scale == UNUSED:
        says = f"room for {raw:,} more bytes (not scaled: the handshake did not turn scaling on)"
        size_says = f"{raw:,} bytes, not scaled: {_ROOM}"
        factor_value, factor_show = "-2", "no window scaling used"
        factor_says = (
            "-2: no window scaling used. It is on only when both SYNs carry the "
            "window-scale option; here at least one did not, so windows count bytes."
        )
    else:
        says = f"{raw:,}, in units set by this side's SYN, which is not in the capture"
        size_says = (
            f"{raw:,} (the raw value): the scale is unknown: the capture has no SYN from "
            "this side (it missed the handshake, or this side sent none), so the real "
            "window may be up to 2^14 times larger."
        )
        factor_value, factor_show = "-1", "unknown"
        factor_says = (
            "-1: unknown. The scale is set in the SYNs; no SYN from this side was captured."
        )
    if in_error:
        says = f"{raw:,}, as the quoted segment carried it"
        size_says = (
            f"{raw:,}: in a header quoted in an ICMP error Wireshark shows the window as "
            "sent, not scaled."
        )
        factor_says += " This is the scale of its conversation in this direction."
    factor_field = Field(
        "Window size scaling factor",
        "tcp.window_size_scalefactor",
        factor_value,
        factor_show,
        at,
        2,
        factor_says,
    )
    return (
        replace(value, explain=f"Receive window: {says}."),
        _size(window, at, size_says),
        factor_field,
    )


_ROOM = (
    "the room this side has for more data (beyond the acknowledgment number) before the "
    "other side must wait."
)


def _size(window: int, at: int, says: str) -> Field:
    return Field(
        "Calculated window size", "tcp.window_size", str(window), f"{window} bytes", at, 2, says
    )
