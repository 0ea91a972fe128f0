"""Client-side limits for HubSpot's API: requests per rolling window and searches per second, so no 429 storm."""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from requests import Response


class Window:
    """At most `limit` requests in any `seconds`. A request counts from the moment its answer arrived (a server
    that counts arrivals never sees more), and one in flight counts until then; the next one waits its turn."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit, self.seconds = limit, seconds
        self._clock, self._sleep = clock, sleep
        self._done: deque[float] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for the run's report and the tests

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._done and self._done[0] <= now - self.seconds:
                    self._done.popleft()
                if len(self._done) + self._in_flight < self.limit:
                    self._in_flight += 1
                    return
                pause = self._done[0] + self.seconds - now if self._done else 0.01
            self.waited += pause
            self._sleep(pause)

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._done.append(self._clock())

    def adopt(self, limit: int, seconds: float) -> None:
        with self._lock:
            self.limit, self.seconds = limit, seconds


def _is_search(request: Any) -> bool:
    return getattr(request, "method", "") == "POST" and urlsplit(getattr(request, "url", "") or "").path.endswith(
        "/search")


class Limiter:
    """HubSpot's published limits kept on the client side: `requests` per `seconds` for every request (a private
    app: 190 per 10 s) and `searches` per second for the CRM search endpoints (5). When `follow_api` is set, the
    window takes the account's own limit from HubSpot's answers (X-HubSpot-RateLimit-Max per
    X-HubSpot-RateLimit-Interval-Milliseconds: 100 for a free account, 250 with the capacity pack); until the first
    answer, and when the API sends none, `requests` holds. 0 turns a limit off."""

    def __init__(self, requests: int, seconds: float, searches: int, follow_api: bool = True) -> None:
        self.requests = Window(requests, seconds) if requests > 0 else None
        self.searches = Window(searches, 1.0) if searches > 0 else None
        self.follow_api = follow_api

    def windows(self, request: Any) -> list[Window]:
        found = [self.requests] if self.requests is not None else []
        if self.searches is not None and _is_search(request):
            found.append(self.searches)
        return found

    def adopt(self, response: Response) -> None:
        if not self.follow_api or self.requests is None:
            return
        try:
            limit = int(response.headers["X-HubSpot-RateLimit-Max"])
            seconds = int(response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"]) / 1000
        except (KeyError, TypeError, ValueError):
            return  # search answers carry no rate-limit headers
        if limit > 0 and seconds > 0 and (limit, seconds) != (self.requests.limit, self.requests.seconds):
            self.requests.adopt(limit, seconds)

    def wrap(self, send: Callable[..., Response]) -> Callable[..., Response]:
        def limited_send(request: Any, **kwargs: Any) -> Response:
            windows = self.windows(request)
            for window in windows:
                window.acquire()
            try:
                response = send(request, **kwargs)
            finally:
                for window in windows:
                    window.release()
            self.adopt(response)
            return response

        return limited_send

    def install(self, session: Any) -> None:
        """Limit every HTTP try of `session` (its adapters: below the retries, so a retried 429 waits its turn)."""
        for adapter in {id(a): a for a in session.adapters.values()}.values():
            adapter.send = self.wrap(adapter.send)
