"""The HTTP session of REST sources: dlt's retries of 429 and 5xx as configured, but a host that refuses, does not
resolve or does not answer the connect is given up within seconds (UNREACHABLE_GIVE_UP_SECONDS), and one that takes
the connection but sends no answer within request_timeout is tried SILENT_MAX_ATTEMPTS times, not minutes."""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from dlt.sources.helpers.requests import Client
from requests import ConnectionError as RequestsConnectionError
from requests import ConnectTimeout, ReadTimeout
from tenacity import RetryCallState, stop_any
from tenacity.stop import stop_base
from tenacity.wait import wait_base
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

CONNECT_TIMEOUT_SECONDS = 4.0  # the connect of one request; reading the answer keeps [runtime] request_timeout
UNREACHABLE_GIVE_UP_SECONDS = 5.0  # retries of an unreachable host stop once this much time has passed
UNREACHABLE_MAX_WAIT_SECONDS = 2.0  # and wait at most this long between two tries
SILENT_MAX_ATTEMPTS = 2  # a request whose answer does not come within request_timeout is sent at most this often
# a 429 or 503 whose Retry-After asks for longer than this (Pipedrive's spent daily budget: over an hour) is not
# waited for: the run stops with the vendor's words (api_errors.response_message); shorter ones are honoured
RETRY_AFTER_CAP_SECONDS = 300.0


def retry_after_seconds(response: Any) -> float | None:
    """The seconds a response's Retry-After asks for (a number of seconds; an HTTP date counts from now)."""
    header = (getattr(response, "headers", None) or {}).get("Retry-After")
    if not header:
        return None
    text = str(header).strip()
    if text.replace(".", "", 1).isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds()) if when.tzinfo else None


def cannot_connect(error: BaseException | None) -> bool:
    """Whether `error` is a failed connect (refused, unknown host, connect timeout), not a dropped answer."""
    if isinstance(error, ConnectTimeout):
        return True
    if not isinstance(error, RequestsConnectionError):
        return False
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def connect_failure(state: RetryCallState) -> bool:
    outcome = state.outcome
    return outcome is not None and outcome.failed and cannot_connect(outcome.exception())


class _stop_when_unreachable(stop_base):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        return connect_failure(retry_state) and (retry_state.seconds_since_start or 0) >= self.seconds


class _stop_when_silent(stop_base):
    def __init__(self, attempts: int) -> None:
        self.attempts = attempts

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        silent = outcome is not None and outcome.failed and isinstance(outcome.exception(), ReadTimeout)
        return silent and retry_state.attempt_number >= self.attempts


class _stop_when_told_to_wait_long(stop_base):
    def __init__(self, cap: float) -> None:
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None:
            return False
        # a status dlt's client raised for (HTTPError) carries its response, as a returned answer is one
        response = getattr(outcome.exception(), "response", None) if outcome.failed else outcome.result()
        seconds = retry_after_seconds(response)
        return seconds is not None and seconds > self.cap


class _short_wait_when_unreachable(wait_base):
    def __init__(self, wait: Any, cap: float) -> None:
        self.wait, self.cap = wait, cap

    def __call__(self, retry_state: RetryCallState) -> float:
        delay = self.wait(retry_state)
        return min(delay, self.cap) if connect_failure(retry_state) else delay


class BoundedClient(Client):
    """dlt's retrying client (settings from [runtime] request_*), with the connect bounded as said above."""

    def _make_session(self) -> Any:
        timeout = self._session_kwargs.get("timeout")
        if isinstance(timeout, (int, float)) and timeout > 0:
            self._session_kwargs["timeout"] = (min(CONNECT_TIMEOUT_SECONDS, float(timeout)), float(timeout))
        session = super()._make_session()
        retrying = session.send.retry
        session.send = session.send.retry_with(
            stop=stop_any(retrying.stop, _stop_when_unreachable(UNREACHABLE_GIVE_UP_SECONDS),
                          _stop_when_silent(SILENT_MAX_ATTEMPTS),
                          _stop_when_told_to_wait_long(RETRY_AFTER_CAP_SECONDS)),
            wait=_short_wait_when_unreachable(retrying.wait, UNREACHABLE_MAX_WAIT_SECONDS),
        )
        return session


def rest_session() -> Any:
    """A session for dlt's RESTClient (`client.session` of a rest_api config); raise_for_status is left to dlt."""
    return BoundedClient(raise_for_status=False).session
