"""Starlette application answering like HubSpot's CRM v3 API, plus the /_emulator/ control endpoints."""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.hubspot.account import ASSOCIATION_TYPE_IDS, read_scope
from emulators.hubspot.store import (
    SINGULAR,
    HubSpotStore,
    StoreError,
    resolve_object_type,
)

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
RATE_LIMIT_MESSAGES = {
    "SECONDLY": "You have reached your secondly limit.",
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
}
GATEWAY_502_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)
MISSING_SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: "
    "https://developers.hubspot.com/scopes."
)
DAILY_LIMIT = 500_000
INTERVAL_MS = 10_000
LIST_MAX_LIMIT = 100
LIST_MAX_LIMIT_WITH_HISTORY = 50
SEARCH_MAX_LIMIT = 200
OWNERS_MAX_LIMIT = 500
ASSOCIATIONS_BATCH_MAX = 1000  # inputs of one v4 associations batch read (HubSpot's limit since 2025-02-10)
ASSOCIATIONS_PAGE = 500  # associations returned per input before its paging.next.after
FAULT_KEYS = {
    "rate_limit_burst",
    "rate_limit_policy",
    "server_errors",
    "server_error_status",
    "slow_seconds",
    "extra_property",
    "missing_scopes",
    "reset",
}
_CORRELATION_NAMESPACE = uuid.UUID("5f1b8a52-0c1e-4d0e-9a57-6d7f3c9e2b10")


class ApiError(Exception):
    """An error answered with HubSpot's body {"status": "error", "message", "correlationId", "category"}."""

    def __init__(self, status: int, message: str, category: str = "VALIDATION_ERROR", **extra: Any):
        super().__init__(message)
        self.status, self.message, self.category, self.extra = status, message, category, extra


class EmulatorState:
    """Faults, rate limiting, request statistics and correlation ids of one emulator instance."""

    def __init__(
        self,
        store: HubSpotStore,
        token: str,
        rate_limit_per_second: int | None,
        search_rate_limit_per_second: int | None,
        search_result_limit: int,
        rate_limit_per_ten_seconds: int | None = None,
        missing_scopes: tuple[str, ...] = (),
    ):
        self.store = store
        self._token = token.encode()
        self.rate_limit_per_second = rate_limit_per_second
        self.rate_limit_per_ten_seconds = rate_limit_per_ten_seconds
        self._missing_scopes = tuple(missing_scopes)  # what reset_faults returns to
        self.search_rate_limit_per_second = search_rate_limit_per_second
        self.search_result_limit = search_result_limit
        self._lock = threading.Lock()
        self._sequence = 0
        self._recent: deque[float] = deque()
        self._recent_search: deque[float] = deque()
        self._daily = 0
        self.faults: dict[str, Any] = {}
        self._server_error_count = 0
        self.reset_faults()
        self.stats: dict[str, dict[str, int]] = {}
        self.status_totals: dict[str, int] = {}
        self.total = 0

    # ------------------------------------------------------------ identifiers
    def correlation_id(self) -> str:
        with self._lock:
            self._sequence += 1
            return str(uuid.uuid5(_CORRELATION_NAMESPACE, str(self._sequence)))

    # ------------------------------------------------------------ faults
    def reset_faults(self) -> None:
        with self._lock:
            self.faults = {
                "rate_limit_burst": 0,
                "rate_limit_policy": "TEN_SECONDLY_ROLLING",
                "server_errors": 0,
                "server_error_status": None,
                "slow_seconds": 0.0,
                "extra_property": None,
                "missing_scopes": list(self._missing_scopes),
            }
            self._server_error_count = 0
        self.store.set_extra_property(None)

    def set_faults(self, faults: dict[str, Any]) -> dict[str, Any]:
        unknown = set(faults) - FAULT_KEYS
        if unknown:
            raise ApiError(
                400, f"Unknown fault keys: {sorted(unknown)}; known: {sorted(FAULT_KEYS - {'reset'})}"
            )
        if faults.get("reset"):
            self.reset_faults()
        updates: dict[str, Any] = {}
        for key in ("rate_limit_burst", "server_errors"):
            if key in faults:
                if not isinstance(faults[key], int) or isinstance(faults[key], bool) or faults[key] < 0:
                    raise ApiError(400, f"{key} must be a non-negative integer")
                updates[key] = faults[key]
        if "rate_limit_policy" in faults:
            if faults["rate_limit_policy"] not in RATE_LIMIT_MESSAGES:
                raise ApiError(400, f"rate_limit_policy must be one of {sorted(RATE_LIMIT_MESSAGES)}")
            updates["rate_limit_policy"] = faults["rate_limit_policy"]
        if "server_error_status" in faults:
            if faults["server_error_status"] not in (None, 500, 502, 503, 504):
                raise ApiError(
                    400, "server_error_status must be null (alternate 502/503), 500, 502, 503 or 504"
                )
            updates["server_error_status"] = faults["server_error_status"]
        if "slow_seconds" in faults:
            slow = faults["slow_seconds"]
            if not isinstance(slow, (int, float)) or isinstance(slow, bool) or slow < 0:
                raise ApiError(400, "slow_seconds must be a non-negative number")
            updates["slow_seconds"] = float(slow)
        if "missing_scopes" in faults:
            scopes = faults["missing_scopes"]
            if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
                raise ApiError(400, 'missing_scopes must be a list of scope names, e.g. ["crm.objects.deals.read"]')
            updates["missing_scopes"] = list(scopes)
        if "extra_property" in faults:
            extra = faults["extra_property"]
            if extra is not None and (
                not isinstance(extra, dict) or not isinstance(extra.get("name"), str) or not extra["name"]
            ):
                raise ApiError(400, 'extra_property must be null or {"name": <str>, "value": <value>}')
            self.store.set_extra_property(extra)
            updates["extra_property"] = self.store.extra_property
        with self._lock:
            self.faults.update(updates)
            return dict(self.faults)

    def current_faults(self) -> dict[str, Any]:
        with self._lock:
            return dict(self.faults)

    def take_server_error(self) -> int | None:
        with self._lock:
            if self.faults["server_errors"] <= 0:
                return None
            self.faults["server_errors"] -= 1
            self._server_error_count += 1
            forced = self.faults["server_error_status"]
            if forced is not None:
                return forced
            return 502 if self._server_error_count % 2 == 1 else 503

    def take_rate_limit(self, is_search: bool) -> str | None:
        """The policy name of a 429 to answer now, or None (and the request is counted against the limits)."""
        now = time.monotonic()
        with self._lock:
            if self.faults["rate_limit_burst"] > 0:
                self.faults["rate_limit_burst"] -= 1
                return self.faults["rate_limit_policy"]
            self._expire(now)
            if self.rate_limit_per_ten_seconds is not None and len(self._recent) >= self.rate_limit_per_ten_seconds:
                return "TEN_SECONDLY_ROLLING"
            if self.rate_limit_per_second is not None:
                in_second = sum(1 for t in self._recent if t > now - 1.0)
                if in_second >= self.rate_limit_per_second:
                    return "SECONDLY"
            if is_search and self.search_rate_limit_per_second is not None:
                in_second = sum(1 for t in self._recent_search if t > now - 1.0)
                if in_second >= self.search_rate_limit_per_second:
                    return "SECONDLY"
            self._recent.append(now)
            if is_search:
                self._recent_search.append(now)
            self._daily += 1
            return None

    def _expire(self, now: float) -> None:
        for queue in (self._recent, self._recent_search):
            while queue and queue[0] <= now - INTERVAL_MS / 1000:
                queue.popleft()

    def rate_limit_headers(self, policy: str | None = None) -> dict[str, str]:
        now = time.monotonic()
        if self.rate_limit_per_ten_seconds is not None:
            interval_max = self.rate_limit_per_ten_seconds
            secondly = self.rate_limit_per_second or max(1, interval_max // 10)
        elif self.rate_limit_per_second is not None:
            secondly = self.rate_limit_per_second
            interval_max = secondly * 10
        else:  # no burst limit enforced: the whole daily budget may go in one interval, and the headers say so
            secondly = interval_max = DAILY_LIMIT
        with self._lock:
            self._expire(now)
            in_second = sum(1 for t in self._recent if t > now - 1.0)
            in_interval = len(self._recent)
            daily = self._daily
        daily_remaining = 0 if policy == "DAILY" else max(0, DAILY_LIMIT - daily)
        remaining = (
            0 if policy in ("TEN_SECONDLY_ROLLING", "SECONDLY") else max(0, interval_max - in_interval)
        )
        secondly_remaining = (
            0 if policy in ("TEN_SECONDLY_ROLLING", "SECONDLY") else max(0, secondly - in_second)
        )
        return {
            "X-HubSpot-RateLimit-Daily": str(DAILY_LIMIT),
            "X-HubSpot-RateLimit-Daily-Remaining": str(daily_remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(INTERVAL_MS),
            "X-HubSpot-RateLimit-Max": str(interval_max),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Secondly": str(secondly),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(secondly_remaining),
        }

    def refused_scopes(self, required: list[str]) -> list[str]:
        with self._lock:
            missing = set(self.faults["missing_scopes"])
        return [scope for scope in required if scope in missing]

    # ------------------------------------------------------------ auth and stats
    def authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return False
        return hmac.compare_digest(credentials.strip().encode(), self._token)

    def record(self, path: str, status: int) -> None:
        key = str(status)
        with self._lock:
            per_path = self.stats.setdefault(path, {})
            per_path[key] = per_path.get(key, 0) + 1
            self.status_totals[key] = self.status_totals.get(key, 0) + 1
            self.total += 1

    def stats_snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "statuses": dict(self.status_totals),
                "paths": {path: dict(counts) for path, counts in sorted(self.stats.items())},
            }

    def reset_stats(self) -> None:
        with self._lock:
            self.stats.clear()
            self.status_totals.clear()
            self.total = 0


# ---------------------------------------------------------------- helpers
def error_body(correlation_id: str, message: str, category: str, **extra: Any) -> dict[str, Any]:
    body = {"status": "error", "message": message, "correlationId": correlation_id, "category": category}
    body.update(extra)
    return body


def _multi(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        for part in raw.split(","):
            part = part.strip()
            if part and part not in values:
                values.append(part)
    return values


def _bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ApiError(400, f"Unable to parse '{raw}' as a boolean for query parameter '{name}'.")


def _int_param(raw: Any, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ApiError(400, f"Unable to parse '{raw}' as an integer for parameter '{name}'.") from None


def _object_type(request: Request, key: str = "object_type") -> str:
    name = request.path_params[key]
    object_type = resolve_object_type(name)
    if object_type is None:
        raise ApiError(400, f"Unable to infer object type from: {name}")
    return object_type


def _association_targets(names: list[str]) -> list[str]:
    targets = []
    for name in names:
        target = resolve_object_type(name)
        if target is not None and target not in targets:
            targets.append(target)
    return targets


def _not_found(object_id: str) -> ApiError:
    return ApiError(
        404,
        "Object not found.  objectId are usually numeric.",
        "OBJECT_NOT_FOUND",
        context={"id": [object_id]},
    )


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


Handler = Callable[[Request], Awaitable[Response]]
Scopes = Callable[[Request], list[str]]


def object_scopes(request: Request) -> list[str]:
    """Scopes of a CRM object route: reading each object type the path names."""
    names = [request.path_params.get(key) for key in ("object_type", "from_type", "to_type")]
    return [read_scope(t) for t in dict.fromkeys(resolve_object_type(n) for n in names if n) if t]


def owner_scopes(request: Request) -> list[str]:
    return ["crm.objects.owners.read"]


def schema_scopes(request: Request) -> list[str]:
    object_type = resolve_object_type(request.path_params.get("object_type", ""))
    return [f"crm.schemas.{object_type}.read"] if object_type else []


def _missing_scopes(correlation_id: str, scopes: list[str]) -> Response:
    body = {
        "status": "error",
        "message": MISSING_SCOPES_MESSAGE,
        "correlationId": correlation_id,
        "errors": [
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": scopes},
            }
        ],
        "links": {"scopes": "https://developers.hubspot.com/scopes"},
        "category": "MISSING_SCOPES",
    }
    return JSONResponse(body, 403)


def api(handler: Handler, is_search: bool = False, scopes: Scopes | None = None) -> Handler:
    """Wraps a CRM API handler: slow faults, gateway errors, auth, scopes, rate limits, headers and statistics."""

    async def endpoint(request: Request) -> Response:
        state: EmulatorState = request.app.state.emulator
        correlation_id = state.correlation_id()
        slow = state.current_faults()["slow_seconds"]
        if slow:
            await asyncio.sleep(slow)
        response: Response | None = None
        gateway_status = state.take_server_error()
        if gateway_status is not None:
            response = _gateway_error(gateway_status, correlation_id)
        elif not state.authorized(request):
            response = JSONResponse(error_body(correlation_id, AUTH_MESSAGE, "INVALID_AUTHENTICATION"), 401)
        elif scopes is not None and state.refused_scopes(scopes(request)):
            response = _missing_scopes(correlation_id, state.refused_scopes(scopes(request)))
        else:
            policy = state.take_rate_limit(is_search)
            if policy is not None:
                body = {
                    "status": "error",
                    "message": RATE_LIMIT_MESSAGES[policy],
                    "errorType": "RATE_LIMIT",
                    "correlationId": correlation_id,
                    "policyName": policy,
                    "requestId": uuid.uuid5(_CORRELATION_NAMESPACE, "request-" + correlation_id).hex,
                }
                response = JSONResponse(
                    body, 429, headers={**state.rate_limit_headers(policy), "Retry-After": "1"}
                )
            else:
                try:
                    response = await handler(request)
                except (ApiError, StoreError) as exc:
                    response = JSONResponse(
                        error_body(correlation_id, exc.message, exc.category, **exc.extra), exc.status
                    )
                if not is_search:  # HubSpot's search endpoints send no rate-limit headers
                    response.headers.update(state.rate_limit_headers())
        response.headers["X-HubSpot-Correlation-Id"] = correlation_id
        state.record(request.url.path, response.status_code)
        return response

    return endpoint


def _gateway_error(status: int, correlation_id: str) -> Response:
    if status == 502:
        return Response(GATEWAY_502_HTML, 502, media_type="text/html")
    messages = {500: "Internal error", 503: "Service Unavailable", 504: "Gateway Timeout"}
    categories = {500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE", 504: "TIMEOUT"}
    return JSONResponse(error_body(correlation_id, messages[status], categories[status]), status)


# ---------------------------------------------------------------- CRM objects
def _store(request: Request) -> HubSpotStore:
    return request.app.state.emulator.store


def _render_many(
    store: HubSpotStore,
    object_type: str,
    docs: list[dict[str, Any]],
    properties: list[str],
    history: list[str],
    assoc_names: list[str],
) -> list[dict[str, Any]]:
    targets = _association_targets(assoc_names)
    links = store.associations(object_type, [int(d["id"]) for d in docs], targets) if targets else {}
    return [
        store.render(object_type, doc, properties, history, links.get(int(doc["id"])), bool(targets))
        for doc in docs
    ]


async def list_objects(request: Request) -> Response:
    object_type = _object_type(request)
    store = _store(request)
    properties = _multi(request, "properties")
    history = _multi(request, "propertiesWithHistory")
    associations = _multi(request, "associations")
    limit = _int_param(request.query_params.get("limit"), "limit", 10)
    max_limit = LIST_MAX_LIMIT_WITH_HISTORY if history else LIST_MAX_LIMIT
    if limit < 1 or limit > max_limit:
        detail = " when propertiesWithHistory is requested" if history else ""
        raise ApiError(
            400,
            f"limit must be between 1 and {max_limit}{detail}; got {limit}.",
            context={"limit": [str(limit)]},
        )
    raw_after = request.query_params.get("after")
    after = _int_param(raw_after, "after", 0)
    if after < 0:
        raise ApiError(400, f"Invalid paging cursor: {raw_after}")
    archived = _bool_param(request, "archived")
    docs, next_after = store.list_page(object_type, archived, after, limit)
    body: dict[str, Any] = {
        "results": _render_many(store, object_type, docs, properties, history, associations)
    }
    if next_after is not None:
        pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
        pairs.append(("after", str(next_after)))
        link = (
            f"{str(request.base_url).rstrip('/')}/crm/v3/objects/{request.path_params['object_type']}/?"
            f"{urlencode(pairs)}"
        )
        body["paging"] = {"next": {"after": str(next_after), "link": link}}
    return JSONResponse(body)


async def get_object(request: Request) -> Response:
    object_type = _object_type(request)
    store = _store(request)
    raw_id = request.path_params["object_id"]
    if not raw_id.isdigit():
        raise _not_found(raw_id)
    found = store.get(object_type, int(raw_id))
    archived = _bool_param(request, "archived")
    if found is None or found[1] != archived:
        raise _not_found(raw_id)
    result = _render_many(
        store,
        object_type,
        [found[0]],
        _multi(request, "properties"),
        _multi(request, "propertiesWithHistory"),
        _multi(request, "associations"),
    )[0]
    return JSONResponse(result)


async def batch_read(request: Request) -> Response:
    object_type = _object_type(request)
    store = _store(request)
    body = await _json_body(request)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list):
        raise ApiError(400, 'Invalid input: "inputs" must be a list of {"id": ...}.')
    if len(inputs) > 100:
        raise ApiError(400, f"Batch input is limited to 100 inputs; got {len(inputs)}.")
    archived = _bool_param(request, "archived")
    docs, missing = [], []
    for item in inputs:
        raw_id = str(item.get("id") if isinstance(item, dict) else item)
        found = store.get(object_type, int(raw_id)) if raw_id.isdigit() else None
        if found is None or found[1] != archived:
            missing.append(raw_id)
        else:
            docs.append(found[0])
    properties = [str(p) for p in body.get("properties") or []]
    history = [str(p) for p in body.get("propertiesWithHistory") or []]
    started = _now_iso()
    result: dict[str, Any] = {
        "status": "COMPLETE",
        "results": _render_many(store, object_type, docs, properties, history, []),
        "startedAt": started,
        "completedAt": _now_iso(),
    }
    if missing:
        result["numErrors"] = 1
        result["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {object_type} objects, they may be deleted or not "
                f"exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
        ]
        return JSONResponse(result, 207)
    return JSONResponse(result)


async def search_objects(request: Request) -> Response:
    object_type = _object_type(request)
    store = _store(request)
    state: EmulatorState = request.app.state.emulator
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid input: the search request body must be a JSON object.")
    limit = _int_param(body.get("limit"), "limit", 10)
    if limit < 0 or limit > SEARCH_MAX_LIMIT:
        raise ApiError(
            400,
            f"limit must be between 0 and {SEARCH_MAX_LIMIT}; got {limit}.",
            context={"limit": [str(limit)]},
        )
    raw_after = body.get("after")
    offset = _int_param(raw_after, "after", 0)
    if offset < 0:
        raise ApiError(400, f"Invalid paging cursor: {raw_after}")
    cap = state.search_result_limit
    if offset >= cap:
        raise ApiError(
            400,
            f"There was a problem with the request. The search API returns at most {cap:,} results "
            f"for any query; paging beyond them (after={offset}) is not allowed. Narrow the query "
            f"with filters instead.",
            context={"after": [str(raw_after)]},
        )
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list) or any(not isinstance(g, dict) for g in groups):
        raise ApiError(400, 'Invalid input: "filterGroups" must be a list of {"filters": [...]}.')
    filter_counts = [len(g.get("filters") or []) for g in groups]
    if len(groups) > 5 or any(n > 10 for n in filter_counts) or sum(filter_counts) > 25:
        raise ApiError(
            400,
            "Too many filters: at most 5 filterGroups, 10 filters in a group and 25 filters in "
            "total are allowed.",
        )
    sorts = body.get("sorts") or []
    if not isinstance(sorts, list):
        raise ApiError(400, 'Invalid input: "sorts" must be a list.')
    properties = [str(p) for p in body.get("properties") or []]
    page_size = max(0, min(limit, cap - offset))
    total, docs = store.search(object_type, groups, sorts, body.get("query"), offset, page_size)
    result: dict[str, Any] = {
        "total": total,
        "results": _render_many(store, object_type, docs, properties, [], []),
    }
    end = offset + len(docs)
    if docs and end < total:
        result["paging"] = {"next": {"after": str(end)}}
    return JSONResponse(result)


async def batch_read_associations(request: Request) -> Response:
    """POST /crm/v4/associations/{from}/{to}/batch/read: each input's associated ids, HUBSPOT_DEFINED types."""
    from_type, to_type = _object_type(request, "from_type"), _object_type(request, "to_type")
    body = await _json_body(request)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or any(not isinstance(i, dict) or i.get("id") is None for i in inputs):
        raise ApiError(400, 'Invalid input: "inputs" must be a list of {"id": ..., "after": ...}.')
    if len(inputs) > ASSOCIATIONS_BATCH_MAX:
        raise ApiError(
            400, f"Batch input is limited to {ASSOCIATIONS_BATCH_MAX} inputs; got {len(inputs)}.",
            context={"inputs": [str(len(inputs))]},
        )
    ids = [int(str(i["id"])) for i in inputs if str(i["id"]).isdigit()]
    links = _store(request).associations(from_type, ids, [to_type])
    kind = {"category": "HUBSPOT_DEFINED", "typeId": ASSOCIATION_TYPE_IDS.get((from_type, to_type)), "label": None}
    started = _now_iso()
    results, errors = [], []
    for item in inputs:
        raw_id, offset = str(item["id"]), _int_param(item.get("after"), "after", 0)
        targets = links.get(int(raw_id), {}).get(to_type, []) if raw_id.isdigit() else []
        if not targets or offset >= len(targets):
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "message": f"No {SINGULAR[to_type]} is associated with {SINGULAR[from_type]} {raw_id}.",
                    "context": {"fromObjectId": [raw_id]},
                }
            )
            continue
        page = targets[offset : offset + ASSOCIATIONS_PAGE]
        result: dict[str, Any] = {
            "from": {"id": raw_id},
            "to": [{"toObjectId": str(t), "associationTypes": [dict(kind)]} for t in page],
        }
        if offset + ASSOCIATIONS_PAGE < len(targets):
            result["paging"] = {"next": {"after": str(offset + ASSOCIATIONS_PAGE), "link": None}}
        results.append(result)
    answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": _now_iso()}
    if errors:
        answer.update(numErrors=len(errors), errors=errors)
        return JSONResponse(answer, 207)
    return JSONResponse(answer)


# ---------------------------------------------------------------- owners, pipelines, properties
async def list_owners(request: Request) -> Response:
    store = _store(request)
    limit = _int_param(request.query_params.get("limit"), "limit", 100)
    if limit < 1 or limit > OWNERS_MAX_LIMIT:
        raise ApiError(400, f"limit must be between 1 and {OWNERS_MAX_LIMIT}; got {limit}.")
    archived = _bool_param(request, "archived")
    email = request.query_params.get("email")
    owners = [
        o
        for o in store.owners
        if bool(o.get("archived")) == archived
        and (email is None or str(o.get("email", "")).lower() == email.lower())
    ]
    raw_after = request.query_params.get("after")
    if raw_after:
        after = _int_param(raw_after, "after", 0)
        owners = [o for o in owners if str(o.get("id")).isdigit() and int(o["id"]) >= after]
    body: dict[str, Any] = {"results": owners[:limit]}
    if len(owners) > limit:
        next_after = str(owners[limit]["id"])
        pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "after"] + [
            ("after", next_after)
        ]
        body["paging"] = {
            "next": {
                "after": next_after,
                "link": f"{str(request.base_url).rstrip('/')}/crm/v3/owners/?{urlencode(pairs)}",
            }
        }
    return JSONResponse(body)


async def get_owner(request: Request) -> Response:
    store = _store(request)
    owner_id = request.path_params["owner_id"]
    field = "userId" if request.query_params.get("idProperty") == "userId" else "id"
    archived = _bool_param(request, "archived")
    for owner in store.owners:
        if str(owner.get(field)) == owner_id and bool(owner.get("archived")) == archived:
            return JSONResponse(owner)
    raise ApiError(
        404, f"Owner with {field} {owner_id} not found", "OBJECT_NOT_FOUND", context={"ownerId": [owner_id]}
    )


def _pipelines_for(request: Request) -> list[dict[str, Any]]:
    if request.path_params["object_type"].lower() in ("tickets", "ticket", "0-5"):
        return []  # HubSpot has ticket pipelines too; the emulated account has none
    object_type = _object_type(request)
    if object_type != "deals":
        return []
    return list(_store(request).pipelines.get("results") or [])


async def list_pipelines(request: Request) -> Response:
    return JSONResponse({"results": _pipelines_for(request)})


async def get_pipeline(request: Request) -> Response:
    pipeline_id = request.path_params["pipeline_id"]
    for pipeline in _pipelines_for(request):
        if str(pipeline.get("id")) == pipeline_id:
            return JSONResponse(pipeline)
    raise ApiError(404, f"Unable to find pipeline {pipeline_id}", "OBJECT_NOT_FOUND")


async def list_pipeline_stages(request: Request) -> Response:
    pipeline_id = request.path_params["pipeline_id"]
    for pipeline in _pipelines_for(request):
        if str(pipeline.get("id")) == pipeline_id:
            return JSONResponse({"results": pipeline.get("stages") or []})
    raise ApiError(404, f"Unable to find pipeline {pipeline_id}", "OBJECT_NOT_FOUND")


async def list_properties(request: Request) -> Response:
    object_type = _object_type(request)
    if _bool_param(request, "archived"):
        return JSONResponse({"results": []})
    return JSONResponse({"results": _store(request).property_definitions(object_type)})


async def get_property(request: Request) -> Response:
    object_type = _object_type(request)
    name = request.path_params["property_name"]
    for definition in _store(request).property_definitions(object_type):
        if definition["name"] == name:
            return JSONResponse(definition)
    raise ApiError(404, f"Property {name} does not exist", "OBJECT_NOT_FOUND")


async def unknown_api_path(request: Request) -> Response:
    raise ApiError(404, f"No API matches {request.method} {request.url.path}", "OBJECT_NOT_FOUND")


# ---------------------------------------------------------------- /_emulator/ control endpoints
def _admin(handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        state: EmulatorState = request.app.state.emulator
        try:
            return await handler(request)
        except (ApiError, StoreError) as exc:
            return JSONResponse(
                error_body(state.correlation_id(), exc.message, exc.category, **exc.extra), exc.status
            )

    return endpoint


async def admin_faults(request: Request) -> Response:
    state: EmulatorState = request.app.state.emulator
    if request.method == "GET":
        return JSONResponse(state.current_faults())
    if request.method == "DELETE":
        state.reset_faults()
        return JSONResponse(state.current_faults())
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "The faults body must be a JSON object.")
    return JSONResponse(state.set_faults(body))


def _admin_object_target(request: Request) -> tuple[str, int]:
    object_type = _object_type(request)
    raw_id = request.path_params["object_id"]
    if not raw_id.isdigit():
        raise _not_found(raw_id)
    return object_type, int(raw_id)


async def admin_update_object(request: Request) -> Response:
    object_type, object_id = _admin_object_target(request)
    body = await _json_body(request)
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict):
        raise ApiError(400, 'The body must be {"properties": {...}}.')
    user = body.get("updatedByUserId")
    doc = _store(request).update(object_type, object_id, properties, None if user is None else int(user))
    return JSONResponse(doc)


async def admin_archive_object(request: Request) -> Response:
    object_type, object_id = _admin_object_target(request)
    return JSONResponse(_store(request).archive(object_type, object_id))


async def admin_create_object(request: Request) -> Response:
    object_type = _object_type(request)
    body = await _json_body(request)
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict):
        raise ApiError(400, 'The body must be {"properties": {...}, "associations": {...}}.')
    doc = _store(request).create(object_type, properties, body.get("associations") or {})
    return JSONResponse(doc, 201)


async def admin_stats(request: Request) -> Response:
    state: EmulatorState = request.app.state.emulator
    if request.method == "DELETE":
        state.reset_stats()
    return JSONResponse(state.stats_snapshot())


async def admin_health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(state: EmulatorState) -> Starlette:
    routes = [
        Route("/_emulator/health", _admin(admin_health), methods=["GET"]),
        Route("/_emulator/faults", _admin(admin_faults), methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/stats", _admin(admin_stats), methods=["GET", "DELETE"]),
        Route("/_emulator/objects/{object_type}", _admin(admin_create_object), methods=["POST"]),
        Route("/_emulator/objects/{object_type}/{object_id}", _admin(admin_update_object), methods=["POST"]),
        Route(
            "/_emulator/objects/{object_type}/{object_id}/archive",
            _admin(admin_archive_object),
            methods=["POST"],
        ),
        Route("/crm/v3/objects/{object_type}", api(list_objects, scopes=object_scopes), methods=["GET"]),
        Route("/crm/v3/objects/{object_type}/", api(list_objects, scopes=object_scopes), methods=["GET"]),
        Route(
            "/crm/v3/objects/{object_type}/search",
            api(search_objects, is_search=True, scopes=object_scopes),
            methods=["POST"],
        ),
        Route("/crm/v3/objects/{object_type}/batch/read", api(batch_read, scopes=object_scopes), methods=["POST"]),
        Route("/crm/v3/objects/{object_type}/{object_id}", api(get_object, scopes=object_scopes), methods=["GET"]),
        Route(
            "/crm/v4/associations/{from_type}/{to_type}/batch/read",
            api(batch_read_associations, scopes=object_scopes),
            methods=["POST"],
        ),
        Route("/crm/v3/owners", api(list_owners, scopes=owner_scopes), methods=["GET"]),
        Route("/crm/v3/owners/", api(list_owners, scopes=owner_scopes), methods=["GET"]),
        Route("/crm/v3/owners/{owner_id}", api(get_owner, scopes=owner_scopes), methods=["GET"]),
        Route("/crm/v3/pipelines/{object_type}", api(list_pipelines, scopes=object_scopes), methods=["GET"]),
        Route(
            "/crm/v3/pipelines/{object_type}/{pipeline_id}", api(get_pipeline, scopes=object_scopes), methods=["GET"]
        ),
        Route(
            "/crm/v3/pipelines/{object_type}/{pipeline_id}/stages",
            api(list_pipeline_stages, scopes=object_scopes),
            methods=["GET"],
        ),
        Route("/crm/v3/properties/{object_type}", api(list_properties, scopes=schema_scopes), methods=["GET"]),
        Route(
            "/crm/v3/properties/{object_type}/{property_name}", api(get_property, scopes=schema_scopes), methods=["GET"]
        ),
        Route("/crm/{rest:path}", api(unknown_api_path), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = state
    return app
