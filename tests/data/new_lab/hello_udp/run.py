"""The hello-udp lab's run: one datagram to an echo server, captured."""

from __future__ import annotations

import socket
import socketserver
import threading
from contextlib import ExitStack
from dataclasses import dataclass

from labs.kit import (
    Capture,
    LabContext,
    LabRequest,
    Plan,
    Recording,
    capture_run,
    network_errors,
    parse_host_port,
)

from .explain import explain

__all__ = ["RESULT", "explain", "record"]


@dataclass(frozen=True)
class Result:
    """What the explanation needs besides the packets: what came back."""

    sent: bytes
    answer: bytes


RESULT = Result


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(data, self.client_address)


def record(request: LabRequest, ctx: LabContext) -> Recording[Result]:
    greeting = str(request.option("greeting")).encode()

    def setup(stack: ExitStack) -> Plan:
        if request.target:
            host, port = parse_host_port(request.target, None, "Give HOST:PORT.")
        else:
            server = socketserver.UDPServer(("127.0.0.1", 0), _Echo)
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            host, port = "127.0.0.1", server.server_address[1]
        return Plan(target=f"{host}:{port}", ports=(port,), proto="udp")

    def converse(cap: Capture, plan: Plan) -> Result:
        host, _, port = plan.target.rpartition(":")
        sock = cap.wrap(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        with sock, network_errors(plan.target, request.timeout):
            sock.settimeout(request.timeout)
            sock.sendto(greeting, (host, int(port)))
            return Result(greeting, sock.recvfrom(2048)[0])

    return capture_run(ctx, "hello-udp", setup, converse)
