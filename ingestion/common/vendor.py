"""What a CRM source tells the shared HTTP pieces about its vendor: its name, where its settings live, how its
error bodies read, its rate-limit headers. The error and limiter code in common/ is written once against this."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from requests import Response

from ingestion.common.errors import FunnelhouseError


def vendor_message(response: Response) -> str:
    """The vendor's own words from an error body, one line (never a token): HubSpot's `message`, Pipedrive's
    `error` (`{"success": false, "error": ...}`), an OAuth `error_description` / `error`, Salesforce's list
    `[{"message": ..., "errorCode": ...}]` as "errorCode: message", Zoho's `{"code", "message", "status": "error"}` as
    "code: message"; '' when the body says nothing readable."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict):
        return ""
    code = body.get("errorCode")
    if code is None and body.get("status") == "error":  # Zoho: {"code", "details", "message", "status": "error"}
        code = body.get("code")
    text = body.get("message") or body.get("error_description") or body.get("error")
    if isinstance(text, dict):  # {"error": {"message": ...}}
        text = text.get("message")
    said = ": ".join(str(part) for part in (code if isinstance(code, str) else None, text) if part)
    return " ".join(said.split())[:300]


@dataclass(frozen=True)
class RateHeaders:
    """The vendor's rate-limit headers: `limit` requests per window, the window in milliseconds from
    `window_ms` (HubSpot's X-HubSpot-RateLimit-Interval-Milliseconds) or fixed `window_seconds` (Pipedrive's
    x-ratelimit-limit counts per 2 s); `usage` names a header of used/cap over a day (Salesforce's
    Sforce-Limit-Info: api-usage=18/5000), kept for the run's report."""

    limit: str | None = None
    window_ms: str | None = None
    window_seconds: float | None = None
    remaining: str | None = None
    usage: str | None = None


HUBSPOT_RATE_HEADERS = RateHeaders(limit="X-HubSpot-RateLimit-Max",
                                   window_ms="X-HubSpot-RateLimit-Interval-Milliseconds",
                                   remaining="X-HubSpot-RateLimit-Remaining")
PIPEDRIVE_RATE_HEADERS = RateHeaders(limit="x-ratelimit-limit", window_seconds=2.0, remaining="x-ratelimit-remaining")
SALESFORCE_RATE_HEADERS = RateHeaders(usage="Sforce-Limit-Info")


@dataclass(frozen=True)
class Vendor:
    """One vendor's facts for the shared error messages (api_errors) and limiter (limits)."""

    name: str  # as the user knows it: HubSpot, Salesforce, Pipedrive
    base_url_setting: str  # where the base URL is set, e.g. "base_url under [sources.hubspot] in .dlt/config.toml"
    token_setting: str  # where the token / client secret is set
    example_url: str  # the vendor's real API root, shown when a URL looks wrong
    scope_help: str = "give the token the read permissions of this endpoint"  # said on a 403
    url_option: str = ""  # the CLI option that overrides the base URL, e.g. "--hubspot-url"
    message: Callable[[Response], str] = vendor_message
    rate_headers: RateHeaders | None = None
    config_error: type[FunnelhouseError] = FunnelhouseError  # raised for settings the user must change

    @property
    def token_help(self) -> str:
        return f"set {self.token_setting}"

    @property
    def or_option(self) -> str:
        return f" (or {self.url_option})" if self.url_option else ""

    def said(self, response: Any) -> str:
        """' (HubSpot: what it said)' or ''."""
        detail = self.message(response) if response is not None else ""
        return f" ({self.name}: {detail})" if detail else ""
