"""The course served to web browsers (`tutor serve`): one process and one progress
file per learner.

textual-serve does the hard part: xterm.js in a page, and a websocket that
drives one `tutor` process per browser session. Around it this adds what a
classroom needs and textual-serve leaves to the caller: a page that asks for
a learner id, a `TUTOR_HOME` per learner on the server (the id is in the
page's address, so a reload finds the same progress; nothing is kept in the
browser), a cap on concurrent sessions, a process group per session so
everything a lab started ends with it, and checks that stop other sites'
pages (Origin) and rebound names (Host) from driving a session.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import ipaddress
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

#: A learner id becomes a directory name: lowercase letters, digits, '-' and
#: '_' only, so it can never climb out of the data directory or collide by case.
LEARNER = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
#: What a session may take to quit on its own before its process group is ended.
QUIT_GRACE = 10.0


def valid_learner(text: str) -> bool:
    return LEARNER.fullmatch(text) is not None


def _page(title: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="viewport" content="width=device-width">{head}'
        "<style>body{margin:0;background:#0c181f;color:#eee;font-family:sans-serif}"
        "main{max-width:34em;margin:12vh auto;padding:0 1em}input,button{font-size:1.1em;"
        "padding:.4em}.error{color:#ff8a80}.textual-terminal{width:100vw;height:100vh}"
        ".closed{display:none;position:fixed;top:1em;left:1em;padding:1em;background:#12232d}"
        "body.-closed .closed{display:block}</style></head>"
        f"<body>{body}</body></html>"
    )


def ask_page(error: str = "", value: str = "") -> str:
    """The page that asks who is learning; the id then stays in the address."""
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _page(
        "tutor: who is learning?",
        "<main><h1>tutor</h1><p>Learn how the Internet works by watching it. Your progress "
        "is kept on this server under your learner id; use the same id next time.</p>"
        f'{message}<form method="get" action="./"><label>Learner id '
        f'<input name="learner" id="learner" value="{html.escape(value[:32])}" required autofocus '
        'maxlength="32" pattern="[a-z0-9][a-z0-9_\\-]*" autocomplete="username"></label> '
        '<button type="submit">Start</button></form><p><small>Lowercase letters, digits, '
        "'-' and '_'; up to 32 characters.</small></p></main>",
    )


def course_page(learner: str, websocket_url: str) -> str:
    """textual-serve's terminal (its own script and styles, fonts from its wheel)."""
    head = (
        '<link rel="stylesheet" href="static/css/xterm.css">'
        '<script src="static/js/textual.js"></script>'
        "<style>@font-face{font-family:'Roboto Mono';"
        "src:url(static/fonts/RobotoMono-VariableFont_wght.ttf)}</style>"
    )
    return _page(
        f"tutor: {learner}",
        '<div class="closed" role="status">This session ended. Reload the page to start '
        "again where you left off.</div>"
        f'<div id="terminal" class="textual-terminal" data-font-size="16" '
        f'data-session-websocket-url="{html.escape(websocket_url)}"></div>',
        head,
    )


#: The pages load only what this server serves (no web fonts from elsewhere).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class CourseServer:
    """The aiohttp application: the two pages, textual-serve's assets, one websocket a session."""

    def __init__(self, data: Path, host: str, port: int, max_sessions: int, loopback: bool) -> None:
        self.data = data
        self.host = host
        self.port = port
        self.max_sessions = max_sessions
        self.loopback = loopback
        self.sessions: set[LearnerSession] = set()

    def make_app(self) -> web.Application:
        # textual-serve's own page assets: xterm.js, its styles, the fonts.
        statics = Path(textual_serve.__file__).parent / "static"
        app = web.Application()
        app.add_routes(
            [
                web.get("/", self.index),
                web.get("/ws/{learner}", self.websocket),
                web.static("/static", statics),
            ]
        )
        app.on_response_prepare.append(self._headers)
        app.on_shutdown.append(self._end_sessions)
        return app

    def serve_forever(self, announce: Callable[[str], None]) -> None:
        """Listen until SIGINT or SIGTERM, which aiohttp turns into a clean shutdown
        (on_shutdown ends every session); `announce` is called once listening."""
        web.run_app(
            self.make_app(), host=self.host, port=self.port, print=announce, shutdown_timeout=15
        )

    # -- checks ---------------------------------------------------------------

    def _host_ok(self, request: web.Request) -> bool:
        """On loopback, only loopback names in Host: a page on a name that a DNS
        rebinding points at 127.0.0.1 must not reach the sessions."""
        if not self.loopback:
            return True
        name = (urlsplit(f"//{request.host}").hostname or "").lower()
        if name == "localhost":
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    @staticmethod
    def _public_host(request: web.Request) -> str:
        """The host the browser asked for: a reverse proxy passes it on (a page's own
        websocket cannot set this header, so it cannot be used to forge an origin)."""
        return request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()

    def _same_origin(self, request: web.Request) -> bool:
        """A websocket opened by another site's page carries that site's Origin."""
        origin = request.headers.get("Origin")
        return (
            origin is None or urlsplit(origin).netloc.lower() == self._public_host(request).lower()
        )

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        if not request.path.startswith("/ws/"):
            response.headers.update(SECURITY_HEADERS)

    # -- pages ----------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        if not self._host_ok(request):
            raise web.HTTPMisdirectedRequest(text="tutor serve: unknown host name\n")
        learner = request.query.get("learner")
        if learner is None:
            return web.Response(text=ask_page(), content_type="text/html")
        if not valid_learner(learner):
            error = "A learner id is 1-32 lowercase letters, digits, '-' or '_' (not first)."
            return web.Response(text=ask_page(error, learner), content_type="text/html", status=400)
        # The scheme the browser used, as a reverse proxy reports it, else ours.
        scheme = (
            "wss" if request.headers.get("X-Forwarded-Proto", request.scheme) == "https" else "ws"
        )
        url = f"{scheme}://{self._public_host(request)}/ws/{learner}"
        return web.Response(text=course_page(learner, url), content_type="text/html")

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        learner = request.match_info["learner"]
        if not valid_learner(learner) or not self._host_ok(request):
            raise web.HTTPBadRequest(text="tutor serve: bad learner id or host\n")
        if not self._same_origin(request):
            raise web.HTTPForbidden(text="tutor serve: websocket from another site\n")
        ws = web.WebSocketResponse(heartbeat=15)
        await ws.prepare(request)
        if len(self.sessions) >= self.max_sessions:
            await ws.send_bytes(
                f"\r\n  This server is full ({self.max_sessions} sessions). "
                "Try again in a minute.\r\n".encode()
            )
            await ws.close()
            return ws
        home = self.data / learner
        home.mkdir(mode=0o700, exist_ok=True)
        session = LearnerSession(ws, home)
        self.sessions.add(session)
        try:
            width = _int(request.query.get("width"), 80)
            height = _int(request.query.get("height"), 24)
            await session.start(width, height)
            await _pump(ws, session)
        except asyncio.CancelledError:
            await ws.close()
        finally:
            self.sessions.discard(session)
            await session.end()
        return ws

    async def _end_sessions(self, app: web.Application) -> None:
        await asyncio.gather(*(s.end() for s in list(self.sessions)), return_exceptions=True)


def _int(value: object, default: int) -> int:
    """A terminal dimension from the browser, kept within sane bounds."""
    try:
        return max(10, min(500, int(str(value))))
    except ValueError:
        return default


async def _pump(ws: web.WebSocketResponse, session: LearnerSession) -> None:
    """Browser to process: keys, resizes, focus and pings, as textual.js sends them
    (textual-serve's own loop is a method of its Server, which is not used here)."""
    async for message in ws:
        if message.type != WSMsgType.TEXT:
            continue
        kind, *rest = message.json()
        if kind == "stdin":
            await session.send_bytes(str(rest[0]).encode())
        elif kind == "resize":
            await session.set_terminal_size(
                _int(rest[0].get("width"), 80), _int(rest[0].get("height"), 24)
            )
        elif kind == "ping":
            await ws.send_json(["pong", rest[0]])
        elif kind == "blur":
            await session.blur()
        elif kind == "focus":
            await session.focus()


class LearnerSession(AppService):
    """One learner's tutor process, as textual-serve's AppService runs it, with
    two changes it has no option for: the learner's TUTOR_HOME, and a process
    group of its own (started without a shell), so that `end()` also stops
    whatever a lab started."""

    def __init__(self, ws: web.WebSocketResponse, home: Path) -> None:
        async def close() -> None:
            await ws.close()

        super().__init__(
            "tutor",
            write_bytes=ws.send_bytes,
            write_str=ws.send_str,
            close=close,
            download_manager=DownloadManager(),
        )
        self.home = home

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width, height)
        env["TUTOR_HOME"] = str(self.home)
        return env

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        self._process = process = await asyncio.create_subprocess_exec(
            # -I: not the working directory's (or PYTHONPATH's) `tutor`, ours.
            *(sys.executable, "-I", "-m", "tutor"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width, height),
            start_new_session=True,
        )
        self._stdin = process.stdin
        return process

    async def end(self) -> None:
        """Ask the app to quit; past the grace period, end its process group."""
        process = self._process
        if process is None:
            return
        try:
            await asyncio.wait_for(self.stop(), QUIT_GRACE)
        except (TimeoutError, ConnectionError):
            pass
        if process.stdin is not None:
            process.stdin.close()  # the last pipe: lets asyncio close the transport
        for sig in (0, signal.SIGTERM, signal.SIGKILL):
            try:
                if sig:
                    os.killpg(process.pid, sig)
                await asyncio.wait_for(process.wait(), 3.0)
                break
            except ProcessLookupError:
                break
            except TimeoutError:
                continue
        # Whatever a lab left behind in the session's group ends with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
