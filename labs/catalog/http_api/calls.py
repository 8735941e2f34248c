"""Making the http-api lab's requests: a requests Session on the capture's
adapter, redirects followed one hop at a time (so each hop is shown and a
loop is caught), bodies read up to a cap, and every way a request can fail
turned into one line for the learner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import requests
import urllib3
from urllib3.exceptions import LocationParseError, NameResolutionError, ReadTimeoutError

from labs.catalog.http_api.result import Hop
from labs.kit import BadInput, Capture, LabContext, LabError, network_errors, parse_url

#: Bytes of a response body the lab reads; past it, it stops and hangs up.
BODY_CAP = 1024 * 1024
MAX_HOPS = 10
#: Dropped when a redirect leads to another host, as requests does.
CREDENTIALS = ("authorization", "proxy-authorization", "cookie", "x-api-key")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def hide_password(url: str) -> str:
    """The URL with a password in it (http://user:PASS@host/) masked, for
    anything shown: requests still sends it, as Basic credentials."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:••••@{host}").geturl()


def check_url(text: str) -> SplitResult:
    """The learner's --target as a URL this lab can call, or BadInput."""
    return parse_url(
        text, "http-api", "HTTP", ("http", "https"), "For example: http://127.0.0.1:8000/"
    )


def check_request(method: str, headers: dict[str, str]) -> None:
    if not _TOKEN.match(method):
        raise BadInput(f"{method!r} is not an HTTP method.", "For example: GET, POST, PUT, DELETE.")
    for name, value in headers.items():
        if not _TOKEN.match(name) or "\r" in value or "\n" in value:
            raise BadInput(
                f"{name}: {value!r} is not a valid header.", "Write --header 'Name: value'."
            )


class Caller:
    """Sends the lab's requests and notes each hop in `hops` (see `__call__`)."""

    def __init__(self, cap: Capture, insecure: bool, timeout: float, ctx: LabContext) -> None:
        self.session = requests.Session()
        # No proxies from the environment and no ~/.netrc: the lab shows a
        # direct call with exactly the credentials it was given.
        self.session.trust_env = False
        self.session.verify = not insecure
        if insecure:
            # The learner asked for it, and the lab explains what it means;
            # urllib3's warning on every request would only add noise.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        adapter = cap.requests_adapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.timeout = timeout
        self.ctx = ctx
        self.hops: list[Hop] = []

    def close(self) -> None:
        self.session.close()

    def __call__(
        self,
        why: str,
        method: str,
        url: str,
        headers: dict[str, str],
        json_body: Any = None,
        data: bytes | None = None,
        body_kind: str = "",
        setter: str = "the lab",
        fact: str = "",
        set_here: tuple[str, ...] | None = None,
    ) -> Mapping[str, str]:
        """Send one request and follow its redirects; the last response's
        headers are returned.

        `set_here`: the header names the caller chose (default: all of `headers`)."""
        chosen = tuple(k.lower() for k in headers) if set_here is None else set_here
        check_request(method, headers)
        seen: set[tuple[str, str]] = set()
        for n in range(MAX_HOPS + 1):
            self.ctx.check()
            if (method, url) in seen:
                raise LabError(
                    f"Redirect loop: {hide_password(url)} was reached again after {n} redirects.",
                    "The server keeps sending the client round in a circle; nothing more to see.",
                )
            seen.add((method, url))
            self.ctx.say(f"{method} {hide_password(url)}")
            resp = self.session.request(
                method,
                url,
                headers=headers,
                json=json_body,
                data=data,
                allow_redirects=False,
                stream=True,
                timeout=self.timeout,
            )
            body, truncated = self._read(resp, method)
            self.hops.append(
                Hop(
                    why if n == 0 else f"follow the redirect to {urlsplit(url).path or '/'}",
                    method,
                    hide_password(url),
                    tuple(k for k in chosen if k in {h.lower() for h in headers}),
                    "json" if json_body is not None else body_kind,
                    setter,
                    body,
                    truncated,
                    fact=fact if n == 0 else "",
                )
            )
            if not resp.is_redirect:
                return resp.headers
            url, method, headers, json_body, data = self._next(
                resp, url, method, headers, json_body, data
            )
        raise LabError(f"More than {MAX_HOPS} redirects; the lab stops there.")

    def _next(
        self,
        resp: requests.Response,
        url: str,
        method: str,
        headers: dict[str, str],
        json_body: Any,
        data: bytes | None,
    ) -> tuple[str, str, dict[str, str], Any, bytes | None]:
        target = urljoin(url, resp.headers["Location"])
        if urlsplit(target).scheme not in ("http", "https"):
            raise LabError(f"{url} redirects to {target}, which is not an http(s) address.")
        # RFC 9110 15.4: 303 (and, by long habit, 301/302 after POST) become GET.
        if (resp.status_code == 303 and method != "HEAD") or (
            resp.status_code in (301, 302) and method == "POST"
        ):
            method, json_body, data = "GET", None, None
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        if self.session.should_strip_auth(url, target):
            headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIALS}
        return target, method, headers, json_body, data

    def _read(self, resp: requests.Response, method: str) -> tuple[bytes, bool]:
        """The body as the client gets it (decompressed), up to the cap."""
        chunks: list[bytes] = []
        size = 0
        try:
            if method == "HEAD":
                return b"", False
            for chunk in resp.iter_content(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > BODY_CAP:
                    return b"".join(chunks)[:BODY_CAP], True
                self.ctx.check()
        finally:
            resp.close()
        return b"".join(chunks), False


def _where(exc: Any) -> str:
    request = getattr(exc, "request", None)
    url = urlsplit(getattr(request, "url", "") or "")
    # host[:port] only: a password in the URL must not reach an error message
    return url.netloc.rpartition("@")[2] or "the server"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (requests and urllib3 nest them deeply)."""
    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return
        yield current
        inner = current.args[0] if current.args else None
        current = (
            current.__cause__
            or current.__context__
            or (inner if isinstance(inner, BaseException) else None)
        )


@contextmanager
def friendly_errors(seconds: float) -> Iterator[None]:
    """Every way a request can fail, as one line with what to do."""
    timeout = f"{seconds:g} s"
    try:
        yield
    except requests.exceptions.SSLError as exc:
        where = _where(exc)
        text = str(exc)
        verify = re.search(r"certificate verify failed: ([^(]+?)\s*\(_ssl", text)
        if verify or "CERTIFICATE_VERIFY_FAILED" in text:
            reason = verify.group(1) if verify else "not trusted"
            raise LabError(
                f"The certificate of {where} could not be verified ({reason}), so nothing proves "
                "this is really that server.",
                "If it is your own test server and you trust it, run again with --insecure.",
            ) from None
        if "WRONG_VERSION_NUMBER" in text:
            # Its first bytes were no TLS record: a clear-text server answering our hello.
            raise LabError(
                f"{where} did not answer in TLS: this port answered in plain HTTP, not TLS.",
                "Try http:// instead of https://.",
            ) from None
        raise LabError(f"The TLS handshake with {where} failed: {_last_line(text)}.") from None
    except requests.exceptions.ConnectTimeout as exc:
        raise LabError(
            f"No answer from {_where(exc)} within {timeout} (the connection was never set up).",
            "Check the address; a firewall may be dropping the packets. --timeout S waits longer.",
        ) from None
    except requests.exceptions.ReadTimeout as exc:
        raise LabError(
            f"{_where(exc)} accepted the connection but sent no answer within {timeout}.",
            "--timeout S waits longer.",
        ) from None
    except requests.exceptions.ConnectionError as exc:
        where = _where(exc)
        for cause in _causes(exc):
            if isinstance(cause, NameResolutionError):
                raise BadInput(
                    f"Cannot find the address of {where}: the name does not resolve.",
                    "Check the spelling, or give an IP address.",
                ) from None
            if isinstance(cause, ReadTimeoutError):
                raise LabError(f"{where} stopped sending for more than {timeout}.") from None
            if isinstance(cause, ConnectionRefusedError | ConnectionResetError):
                # What the network did is worded once, by the kit; requests
                # only wrapped it.
                hint = "Check the port, or run without --target to use the lab's own API."
                with network_errors(where, seconds, refused_hint=hint):
                    raise cause from None
        raise LabError(f"The connection to {where} failed: {_last_line(str(exc))}.") from None
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.InvalidHeader,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        LocationParseError,
    ) as exc:
        raise BadInput(f"Cannot send that request: {_last_line(str(exc))}.") from None
    except (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
    ) as exc:
        raise LabError(f"The response body was broken: {_last_line(str(exc))}.") from None
    except requests.exceptions.RequestException as exc:
        raise LabError(f"The request failed: {_last_line(str(exc))}.") from None


def _last_line(text: str) -> str:
    """The innermost reason from requests' nested error text."""
    text = re.sub(r"\(Caused by \w+\((.*)\)\)$", r"\1", text.strip())
    return text.strip(" .'\"")[:200]
