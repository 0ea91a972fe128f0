"""Client-side rate limits for a REST API: requests per rolling window, following the limit the API's own headers
announce (common.vendor.RateHeaders), so a night's load meets no 429 storm."""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from requests import Response

from ingestion.common.vendor import RateHeaders


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


def usage(headers: RateHeaders | None, response: Response) -> tuple[int, int] | None:
    """(used, cap) from a usage header such as Salesforce's `Sforce-Limit-Info: api-usage=18/5000`, or None."""
    if headers is None or not headers.usage:
        return None
    text = response.headers.get(headers.usage) or ""
    for part in text.split(","):
        _, _, counts = part.strip().partition("=")
        used, slash, cap = counts.partition("/")
        if slash and used.strip().isdigit() and cap.strip().isdigit():
            return int(used), int(cap)
    return None


class Limiter:
    """A vendor's published limit kept on the client side: `requests` per `seconds` for every request. When
    `follow_api` is set, the window takes the account's own limit from the API's answers (`headers.limit` per
    `headers.window_ms` or `headers.window_seconds`); until the first answer, and when the API sends none,
    `requests` holds. 0 turns the limit off. Subclasses add windows for some requests (HubSpot's searches).
    A usage header (used/cap a day) is kept in `usage` for the run's report."""

    def __init__(self, requests: int, seconds: float, headers: RateHeaders | None = None,
                 follow_api: bool = True) -> None:
        self.requests = Window(requests, seconds) if requests > 0 else None
        self.headers = headers
        self.follow_api = follow_api
        self.usage: tuple[int, int] | None = None

    def windows(self, request: Any) -> list[Window]:
        return [self.requests] if self.requests is not None else []

    def _announced(self, response: Response) -> tuple[int, float] | None:
        headers = self.headers
        if headers is None or not headers.limit:
            return None
        try:
            limit = int(response.headers[headers.limit])
            if headers.window_ms:
                seconds = int(response.headers[headers.window_ms]) / 1000
            else:
                seconds = float(headers.window_seconds or 0)
        except (KeyError, TypeError, ValueError):
            return None  # an answer without the headers (HubSpot's searches carry none)
        return (limit, seconds) if limit > 0 and seconds > 0 else None

    def adopt(self, response: Response) -> None:
        self.usage = usage(self.headers, response) or self.usage
        if not self.follow_api or self.requests is None:
            return
        announced = self._announced(response)
        if announced is not None and announced != (self.requests.limit, self.requests.seconds):
            self.requests.adopt(*announced)
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
