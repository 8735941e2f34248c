"""Talking to a server from a lab: the one mapping from socket errors to
the learner's one line (the server's own words differ per protocol, the
network's failures do not)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from labs.model.errors import LabError


@contextmanager
def network_errors(
    where: str,
    timeout: float,
    refused_hint: str = "Check the port, or run without --target to use the lab's own server.",
    timeout_hint: str = "Check the address; a firewall may be dropping the packets. "
    "--timeout S waits longer.",
) -> Iterator[None]:
    """Turn what the network did wrong inside the block into one LabError.

    Protocol answers (an HTTP 500, an FTP 530) are the lab's to word; this
    covers only the network: refused, no answer, reset, unreachable."""
    try:
        yield
    except ConnectionRefusedError:
        raise LabError(
            f"Nothing accepted the connection at {where} (connection refused).", refused_hint
        ) from None
    except TimeoutError:
        raise LabError(f"No answer from {where} within {timeout:g} s.", timeout_hint) from None
    except ConnectionResetError:
        raise LabError(f"{where} reset the connection (RST) before the exchange ended.") from None
    except ssl.SSLError as exc:
        raise LabError(f"The TLS handshake with {where} failed: {exc.reason or exc}.") from None
    except OSError as exc:
        raise LabError(f"Could not talk to {where}: {exc.strerror or exc}.") from None
