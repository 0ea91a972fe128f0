"""HubSpot's client-side limits: the shared window limiter following X-HubSpot-RateLimit-*, plus searches per
second for the CRM search endpoints, which have a limit of their own."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ingestion.common.limits import Limiter as ApiLimiter
from ingestion.common.limits import Window
from ingestion.common.vendor import HUBSPOT_RATE_HEADERS

__all__ = ["Limiter", "Window"]


def _is_search(request: Any) -> bool:
    return getattr(request, "method", "") == "POST" and urlsplit(getattr(request, "url", "") or "").path.endswith(
        "/search")


class Limiter(ApiLimiter):
    """HubSpot's published limits: `requests` per `seconds` for every request (a private app: 190 per 10 s), the
    account's own from X-HubSpot-RateLimit-Max per X-HubSpot-RateLimit-Interval-Milliseconds once known (100 for
    a free account, 250 with the capacity pack), and `searches` per second for the CRM search endpoints (5)."""

    def __init__(self, requests: int, seconds: float, searches: int, follow_api: bool = True) -> None:
        super().__init__(requests, seconds, HUBSPOT_RATE_HEADERS, follow_api)
        self.searches = Window(searches, 1.0) if searches > 0 else None

    def windows(self, request: Any) -> list[Window]:
        found = super().windows(request)
        if self.searches is not None and _is_search(request):
            found.append(self.searches)
        return found
