"""OAuth 2.0 token endpoint: client credentials and refresh token grants, answered as Salesforce answers them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from typing import Any

INVALID_GRANT = {"error": "invalid_grant", "error_description": "authentication failure"}
ORG_ID = "00DEM0000000001EAA"
USER_ID = "005EM0000000001AAA"


def unsupported_grant(grant_type: str) -> dict[str, str]:
    if not grant_type:
        return {"error": "invalid_request", "error_description": "grant type is missing"}
    return {"error": "unsupported_grant_type", "error_description": "grant type not supported"}


class TokenGrants:
    """Answers the token endpoint for the configured connected app: client credentials (HTTP Basic or form) and
    refresh token grants. Each grant issues a new access token; the harness's state decides which are valid."""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str):
        self.client_id, self._secret, self._refresh_token = client_id, client_secret, refresh_token
        self._lock = threading.Lock()
        self._issued = 0

    def grant(
        self, form: dict[str, str], basic: tuple[str, str] | None, instance_url: str
    ) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) for a POST to /services/oauth2/token."""
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        grant_type = form.get("grant_type", "")
        if grant_type == "client_credentials":
            ok = hmac.compare_digest(client_id, self.client_id) and hmac.compare_digest(secret, self._secret)
        elif grant_type == "refresh_token":
            ok = hmac.compare_digest(form.get("refresh_token", ""), self._refresh_token) and (
                not client_id or hmac.compare_digest(client_id, self.client_id)
            )
        else:
            return 400, unsupported_grant(grant_type)
        if not ok:
            return 400, dict(INVALID_GRANT)
        with self._lock:
            self._issued += 1
            digest = hashlib.sha256(f"{self._secret}:{self._issued}".encode()).digest()
        token = f"{ORG_ID[:15]}!{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"
        issued_at = str(int(time.time() * 1000))
        identity = f"https://login.salesforce.com/id/{ORG_ID}/{USER_ID}"
        signature = hmac.new(self._secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
        return 200, {
            "access_token": token,
            "instance_url": instance_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(signature).decode(),
        }
