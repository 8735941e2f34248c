"""How a connection attempt went, in words, for the steps of any capture:
refused (a reset came back) or SYNs alone so far. Side by side because a
learner asking "is it the firewall?" needs the difference: a firewall that
rejects looks like a closed port, one that drops looks like silence (the
SYNs sent again; "What went wrong" says when none was ever answered)."""

from __future__ import annotations

from collections.abc import Sequence


def only_syns(summaries: Sequence[str]) -> bool:
    """Whether a handshake step's packets (by their summaries) are SYNs only."""
    return bool(summaries) and all(
        s.rpartition("] ")[2].startswith("TCP SYN") and "SYN-ACK" not in s for s in summaries
    )


def syns_text(n: int, src: str, dst: str) -> str:
    """A handshake step of `n` SYNs from `src` to `dst` (its answer, if one
    came, is in a later step: the packets of other conversations came
    between, or it never came)."""
    text = f"{src} asks {dst} to open a TCP connection (SYN)"
    if n > 1:
        text += (
            f", and asks again {n - 1} time{'s' if n != 2 else ''}: no answer (SYN-ACK, or a "
            "reset) had come back before its timer ran out"
        )
    return text + "."


def refused_text(src: str, dst: str) -> str:
    """A SYN from `src` answered by a reset from `dst`."""
    # A firewall that rejects with a reset sends the very packets a closed
    # port does: the packets cannot tell the two apart.
    port = dst.rpartition(":")[2]
    where = f"on port {port}" if port.isdigit() else "there"
    return (
        f"{src} tries to open a connection to {dst}, which answers with a reset (RST): "
        f"nothing listens {where}, or a firewall rejected the connection on its behalf."
    )


__all__ = ["only_syns", "refused_text", "syns_text"]
