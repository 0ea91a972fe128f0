"""What the harness needs to know about a vendor: its auth scheme, error bodies, rate-limit answers and fault keys.

A `Vendor` is data plus a few small functions; `emulators/<vendor>/app.py` writes one and hands it to
`emulators.common.app.create_app`. Auth checkers return the credential a request presents (or None):
`bearer()`, `header_key("x-api-token")`, `query_key("api_token")`, and `any_of(...)` to accept several.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:  # pragma: no cover
    from emulators.common.state import EmulatorState


class ApiError(Exception):
    """A refusal a handler raises; the vendor's `error_body` renders it. `details` are vendor-specific
    (HubSpot's category and context, Salesforce's errorCode)."""

    def __init__(self, status: int, message: str, **details: Any):
        super().__init__(message)
        self.status, self.message, self.details = status, message, details


@dataclass(frozen=True)
class Call:
    """One API request as the harness sees it: the request, the emulator's state, and its request id (a UUID
    string numbered per emulator, so that runs are repeatable)."""

    request: Request
    state: EmulatorState
    request_id: str


# ---------------------------------------------------------------- auth checkers
Auth = Callable[[Request], "str | None"]


def bearer() -> Auth:
    """`Authorization: Bearer <token>` (OAuth access tokens, HubSpot private apps, Salesforce sessions)."""

    def credential(request: Request) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return value.strip() or None

    return credential


def header_key(name: str) -> Auth:
    """An API key in a request header (Pipedrive's `x-api-token`)."""

    def credential(request: Request) -> str | None:
        return request.headers.get(name, "").strip() or None

    return credential


def query_key(name: str) -> Auth:
    """An API key in the query string (Pipedrive's older `?api_token=`)."""

    def credential(request: Request) -> str | None:
        return request.query_params.get(name, "").strip() or None

    return credential


def any_of(*checkers: Auth) -> Auth:
    """The first credential any of the checkers finds."""

    def credential(request: Request) -> str | None:
        for checker in checkers:
            found = checker(request)
            if found is not None:
                return found
        return None

    return credential


# ---------------------------------------------------------------- faults a vendor adds
@dataclass(frozen=True)
class Fault:
    """A vendor-specific fault key: its value after a reset and a parser that checks a new value and returns it
    as stored, raising ValueError("must be ...") (answered 400 "<key> must be ...") when it is wrong."""

    default: Any
    parse: Callable[[Any], Any]


def added_field_fault(normalise: Callable[[Any], Any] = lambda value: value) -> Fault:
    """Schema drift: `null` or `{"name": <str>, "value": <value>}`, a field the account gained since the client
    last looked. The vendor's routes read it from `state.faults[<key>]` and add it to what they serve."""

    def parse(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
            raise ValueError('must be null or {"name": <str>, "value": <value>}')
        return {"name": value["name"], "value": normalise(value.get("value"))}

    return Fault(None, parse)


# ---------------------------------------------------------------- rate limits
@dataclass(frozen=True)
class RateWindow:
    """A request limit: at most `limit` requests in a rolling `seconds` (None: over the emulator's life, a daily
    budget), counting only requests of route `group` when one is named. `policy` names the 429 answered."""

    policy: str
    seconds: float | None
    limit: int
    group: str | None = None


# ---------------------------------------------------------------- the vendor
ErrorBody = Callable[[Call, ApiError], Any]
Unauthorized = Callable[[Call, str], ApiError]  # reason: "missing", "invalid" or "expired"
Answer = Callable[[Call, Any], Response]
RateHeaders = Callable[["EmulatorState", "str | None"], dict[str, str]]


@dataclass(frozen=True)
class Vendor:
    """A vendor's answers, for the harness's `api()` wrapper and control routes.

    - `auth` finds the credential; `unauthorized(call, reason)` is the ApiError for a missing/invalid/expired one.
    - `error_body(call, exc)` is the JSON body of any ApiError (the status is `exc.status`).
    - `rate_limited(call, policy)` answers a request over a RateWindow or a `rate_limit_burst` fault;
      `rate_policies` are the policy names a burst may take (the first is the default).
    - `rate_headers(state, policy)` are headers added to answers (None: none); on every answer when
      `rate_headers_everywhere`, else on those a handler gave (HubSpot's).
    - `server_error(call, status)` answers a `server_errors` fault; `server_error_statuses` may be forced,
      `default_server_errors` alternate when none is.
    - `request_id_header` echoes the call's request id (HubSpot's X-HubSpot-Correlation-Id), `faults` adds keys,
      `stats_by_route` adds per-route counts to the stats.
    """

    name: str
    auth: Auth
    error_body: ErrorBody
    unauthorized: Unauthorized
    rate_limited: Answer
    server_error: Answer
    rate_policies: tuple[str, ...]
    rate_headers: RateHeaders | None = None
    rate_headers_everywhere: bool = False
    server_error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    default_server_errors: tuple[int, ...] = (500,)
    request_id_header: str | None = None
    faults: Mapping[str, Fault] = field(default_factory=dict)
    stats_by_route: bool = False  # stats also count per route template ("/api/v1/deals/{id}/changelog")
    rate_horizon_seconds: float = 10.0  # how long request times are kept for rate headers and windows
