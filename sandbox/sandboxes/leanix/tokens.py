"""MTM OAuth2 client-credentials tokens.

https://docs-eam.leanix.net/reference/authentication-for-managing-api-tokens

`POST /services/mtm/v1/oauth2/token` with HTTP Basic `apitoken:<API token>` and
`grant_type=client_credentials` answers the five-field body of `mtm_token_response.json`. The access token
is a real JWT: LeanIX signs RS256, the sandbox signs HS256 with a secret kept in the workspace file (so
tokens stay valid across a restart, as they would against a real workspace). The claims carry what
public clients decode: `exp`, `iat`, `jti`, `sub` and `principal.permission.{workspaceId, workspaceName}`.
Expiry is judged by the sandbox clock, so tests can move time instead of waiting.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs


class AuthError(Exception):
    """A request that must be answered 401; the message never contains the token."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Principal:
    """Who the sandbox's access tokens speak for: the technical user, account and workspace."""

    workspace_id: str
    workspace_name: str
    account_id: str
    user_id: str
    username: str = "sandbox-technical-user"
    role: str = "ADMIN"


class TokenService:
    """MTM: API tokens exchanged for HS256 JWT access tokens, and Bearer tokens verified."""

    def __init__(
        self,
        *,
        api_token: str,
        secret: bytes,
        ttl_seconds: int,
        principal: Principal,
        now: Callable[[], datetime],
    ) -> None:
        self._api_token = api_token
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self.principal = principal
        self._now = now

    def grant(self, authorization: str, body: bytes, query: dict[str, list[str]]) -> dict[str, Any]:
        """Exchange `apitoken:<token>` Basic credentials for an access token."""
        if not authorization.lower().startswith("basic "):
            raise AuthError("Full authentication is required: send HTTP Basic apitoken:<API token>")
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise AuthError("Bad credentials") from error
        user, _, token = decoded.partition(":")
        if user != "apitoken" or not hmac.compare_digest(token, self._api_token):
            raise AuthError("Bad credentials")
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        grant_type = (form.get("grant_type") or query.get("grant_type") or [""])[0]
        if grant_type != "client_credentials":
            raise ValueError("grant_type must be client_credentials")
        return {
            "scope": "",
            "expired": False,
            "access_token": self.issue(),
            "token_type": "bearer",
            # LeanIX answers 3599 for a token "valid for 3600 seconds" (mtm_token_response.json).
            "expires_in": max(self.ttl_seconds - 1, 0),
        }

    def issue(self) -> str:
        """A signed access token (HS256 JWT) with LeanIX's claims, valid for `ttl_seconds`."""
        issued = int(self._now().timestamp())
        p = self.principal
        claims = {
            "sub": p.username,
            "principal": {
                "id": p.user_id,
                "username": p.username,
                "role": p.role,
                "status": "ACTIVE",
                "account": {"id": p.account_id, "name": f"{p.workspace_name} account"},
                "permission": {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, p.user_id + p.workspace_id)),
                    "workspaceId": p.workspace_id,
                    "workspaceName": p.workspace_name,
                    "role": p.role,
                    "status": "ACTIVE",
                    "customerRoles": [],
                },
            },
            "iss": "leanix-sandbox",
            "jti": str(uuid.uuid4()),
            "iat": issued,
            "exp": issued + self.ttl_seconds,
        }
        header = {"alg": "HS256", "typ": "JWT"}
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(signature)}"

    def verify(self, authorization: str) -> dict[str, Any]:
        """The claims of a valid, unexpired Bearer token; AuthError otherwise."""
        if not authorization.lower().startswith("bearer "):
            raise AuthError("Full authentication is required to access this resource")
        token = authorization[7:].strip()
        parts = token.split(".")
        if len(parts) != 3:
            raise AuthError("Invalid access token")
        expected = hmac.new(
            self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256
        ).digest()
        try:
            signature = _b64url_decode(parts[2])
            claims: dict[str, Any] = json.loads(_b64url_decode(parts[1]))
        except (binascii.Error, ValueError) as error:
            raise AuthError("Invalid access token") from error
        if not hmac.compare_digest(signature, expected):
            raise AuthError("Invalid access token")
        if int(claims.get("exp", 0)) <= self._now().timestamp():
            raise AuthError("Access token expired")
        return claims
