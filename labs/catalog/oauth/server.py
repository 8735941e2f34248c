"""The oauth lab's embedded authorization server and the API it guards, on
127.0.0.1: oauthlib runs OAuth 2.0 (RFC 6749 with PKCE, RFC 7636; its
metadata per RFC 8414), PyJWT signs the access tokens (RS256 JWTs, RFC 9068
style) with a key made for this run, and the API checks them with PyJWT.

    GET  /.well-known/oauth-authorization-server   where everything is (RFC 8414)
    GET  /authorize     the login; the demo user "ada" is signed in and
                        consents at once, so it answers 302 with the code
    POST /token         client_credentials, authorization_code, refresh_token
    GET  /jwks.json     the public key that checks the tokens' signatures
    GET  /api/orders    the API: needs a valid Bearer token with orders:read
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from labs.kit.serve import LabHTTPServer

from .validator import Validator

AUDIENCE = "orders-api"
USER = "ada"


class _Handler(BaseHTTPRequestHandler):
    server_version = "tutor-auth/1.0"
    sys_version = ""
    timeout = 5
    auth: AuthServer  # set on the subclass made for each server

    def version_string(self) -> str:
        return self.server_version  # http.server would add a space and Python's version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the lab shows the traffic itself

    def _send(self, status: int, headers: dict[str, str], body: str | bytes = b"") -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        auth = self.auth
        path = urlsplit(self.path).path
        uri = auth.base_url + self.path
        if path == "/.well-known/oauth-authorization-server":
            headers, body, status = auth.metadata.create_metadata_response(uri, "GET")
            self._send(status, headers, body)
        elif path == "/authorize":
            try:
                scopes, _info = auth.oauth.validate_authorization_request(uri, "GET")
                headers, body, status = auth.oauth.create_authorization_response(
                    uri, "GET", scopes=scopes, credentials={"user": USER}
                )
            except Exception as exc:  # oauthlib's FatalClientError: no redirect allowed
                headers, body, status = {"Content-Type": "text/plain"}, str(exc), 400
            self._send(status, headers, body or "")
        elif path == "/jwks.json":
            self._send(200, {"Content-Type": "application/json"}, auth.jwks)
        elif path == "/api/orders":
            self._api()
        else:
            self._send(404, {"Content-Type": "text/plain"}, "not found")

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        size = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
        body = self.rfile.read(size).decode("latin-1")
        if urlsplit(self.path).path != "/token":
            self._send(404, {"Content-Type": "text/plain"}, "not found")
            return
        headers, answer, status = self.auth.oauth.create_token_response(
            self.auth.base_url + self.path, "POST", body, dict(self.headers.items())
        )
        self._send(status, headers, answer or "")

    def _api(self) -> None:
        import jwt  # lazy: PyJWT is needed only while the server runs

        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            self._deny('Bearer realm="orders"', "no token")
            return
        try:
            claims = jwt.decode(
                auth[7:],
                self.auth.public_key,
                algorithms=["RS256"],
                audience=AUDIENCE,
                issuer=self.auth.base_url,
            )
        except jwt.InvalidTokenError as exc:
            reason = str(exc) or type(exc).__name__
            self._deny(f'Bearer error="invalid_token", error_description="{reason}"', reason)
            return
        if "orders:read" not in str(claims.get("scope", "")).split():
            self._deny('Bearer error="insufficient_scope", scope="orders:read"', "scope", 403)
            return
        orders = [{"id": 42, "item": "oat milk", "for": claims["sub"]}]
        self._send(200, {"Content-Type": "application/json"}, json.dumps({"orders": orders}))

    def _deny(self, challenge: str, reason: str, status: int = 401) -> None:
        self._send(
            status,
            {"Content-Type": "application/json", "WWW-Authenticate": challenge},
            json.dumps({"error": reason}),
        )


class AuthServer:
    """The authorization server and API; a context manager that always stops it."""

    def __init__(self, job_secret: str, app_lifetime: int = 2) -> None:
        # lazy: oauthlib, PyJWT and cryptography are needed only for a run
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm
        from oauthlib.common import generate_token
        from oauthlib.oauth2 import MetadataEndpoint, Server

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = self.key.public_key()
        self.kid = secrets.token_hex(4)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.public_key))
        self.jwks = json.dumps({"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]})
        self.pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.validator = Validator(job_secret, app_lifetime)
        handler = type("AuthHandler", (_Handler,), {"auth": self})
        self._server = LabHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.oauth = Server(
            self.validator,
            token_expires_in=lambda r: self.validator.clients[r.client_id].lifetime,
            token_generator=self._jwt,
            refresh_token_generator=lambda r: generate_token(),
        )
        self.metadata = MetadataEndpoint(
            [self.oauth],
            {
                "issuer": self.base_url,
                "authorization_endpoint": self.base_url + "/authorize",
                "token_endpoint": self.base_url + "/token",
                "jwks_uri": self.base_url + "/jwks.json",
                "scopes_supported": ["orders:read", "orders:write"],
                "code_challenge_methods_supported": ["S256"],
            },
            # The lab serves plain HTTP on loopback so every byte can be read;
            # oauthlib would refuse an http:// issuer (RFC 8414 wants https).
            raise_errors=False,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="oauth-server"
        )

    def _jwt(self, request: Any) -> str:
        import jwt  # lazy: see __init__

        now = int(time.time())
        claims = {
            "iss": self.base_url,
            "sub": request.user or request.client_id,
            "aud": AUDIENCE,
            "client_id": request.client_id,
            "scope": " ".join(request.scopes or ()),
            "iat": now,
            "exp": now + int(request.expires_in),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self.pem, algorithm="RS256", headers={"kid": self.kid})

    def __enter__(self) -> AuthServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
