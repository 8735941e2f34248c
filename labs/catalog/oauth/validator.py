"""What the embedded authorization server knows, for oauthlib: its two
clients, the codes and refresh tokens it issued. oauthlib runs the protocol
(RFC 6749, PKCE per RFC 7636) and asks this validator each question it
cannot answer itself; everything lives in memory for one run."""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
from dataclasses import dataclass
from typing import Any

from oauthlib.oauth2 import RequestValidator

SCOPES = ("orders:read", "orders:write")
#: Where the shop app's login lands; nothing listens there (the lab reads the redirect).
REDIRECT_URI = "http://127.0.0.1:8400/callback"


@dataclass(frozen=True)
class Client:
    client_id: str
    #: None for a public client (an app that cannot keep a secret: PKCE instead).
    secret: str | None
    grants: tuple[str, ...]
    #: Seconds its access tokens live.
    lifetime: int


class Validator(RequestValidator):  # type: ignore[misc]
    def __init__(self, job_secret: str, app_lifetime: int) -> None:
        self.clients = {
            "reports-job": Client("reports-job", job_secret, ("client_credentials",), 300),
            "shop-app": Client(
                "shop-app", None, ("authorization_code", "refresh_token"), app_lifetime
            ),
        }
        self.codes: dict[str, dict[str, Any]] = {}
        self.refresh: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    # -- clients ----------------------------------------------------------------

    def client_authentication_required(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        client = self.clients.get(request.client_id or "")
        return client is None or client.secret is not None

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        """HTTP Basic with client id and secret (RFC 6749 section 2.3.1)."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        client = self.clients.get(client_id)
        if client is None or client.secret is None:
            return False
        if not hmac.compare_digest(client.secret.encode(), secret.encode()):
            return False
        request.client, request.client_id = client, client_id
        return True

    def authenticate_client_id(self, client_id: str, request: Any, *a: Any, **k: Any) -> bool:
        client = self.clients.get(client_id)
        if client is None or client.secret is not None:
            return False
        request.client = client
        return True

    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        return client_id in self.clients

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        return grant_type in self.clients[client_id].grants

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return response_type == "code" and "authorization_code" in self.clients[client_id].grants

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return all(s in SCOPES for s in scopes)

    def get_default_scopes(self, client_id: str, request: Any, *a: Any, **k: Any) -> list[str]:
        return ["orders:read"]

    # -- the authorization code and PKCE -----------------------------------------

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        return redirect_uri == REDIRECT_URI

    def get_default_redirect_uri(self, client_id: str, request: Any, *a: Any, **k: Any) -> str:
        return REDIRECT_URI

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        return True  # OAuth 2.1 and RFC 9700: PKCE for every code flow

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        with self.lock:
            self.codes[code["code"]] = {
                "client_id": client_id,
                "user": request.user,
                "scopes": request.scopes,
                "challenge": request.code_challenge,
                "method": request.code_challenge_method,
            }

    def get_code_challenge(self, code: str, request: Any) -> str | None:
        entry = self.codes.get(code)
        return entry["challenge"] if entry else None

    def get_code_challenge_method(self, code: str, request: Any) -> str | None:
        entry = self.codes.get(code)
        return entry["method"] if entry else None

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        entry = self.codes.get(code)
        if entry is None or entry["client_id"] != client_id:
            return False
        request.user, request.scopes = entry["user"], entry["scopes"]
        return True

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return redirect_uri == REDIRECT_URI

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        with self.lock:
            self.codes.pop(code, None)  # a code is good for one exchange only

    # -- tokens ------------------------------------------------------------------

    def save_bearer_token(self, token: dict[str, Any], request: Any, *a: Any, **k: Any) -> None:
        with self.lock:
            if request.refresh_token:
                self.refresh.pop(request.refresh_token, None)  # rotated: the old one is spent
            if "refresh_token" in token:
                self.refresh[token["refresh_token"]] = {
                    "client_id": request.client_id,
                    "user": request.user,
                    "scopes": request.scopes,
                }

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        entry = self.refresh.get(refresh_token)
        if entry is None or entry["client_id"] != client.client_id:
            return False
        request.user = entry["user"]
        return True

    def get_original_scopes(self, refresh_token: str, request: Any, *a: Any, **k: Any) -> list[str]:
        return list(self.refresh[refresh_token]["scopes"])
