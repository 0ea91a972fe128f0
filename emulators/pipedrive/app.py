"""Starlette application answering like Pipedrive's API (v2 where it exists, v1 where v2 has no equivalent), on
the emulator harness (emulators.common).

`PIPEDRIVE` describes Pipedrive to the harness: the token in `x-api-token`, `?api_token=` or an OAuth
`Authorization: Bearer`; errors as `{"success": false, "error": <text>, "errorCode": <status>}`; a request over
the 2-second burst window or the daily budget answers 429 with `Retry-After`; `x-ratelimit-limit`,
`x-ratelimit-remaining` and `x-ratelimit-reset` (seconds) on every answer while a burst limit is set; the fault
`extra_field` adds a custom field key to every deal's `custom_fields` (and to dealFields).
Routes: GET /api/v2/deals, /api/v2/deals/{id}, /api/v2/pipelines, /api/v2/stages, /api/v2/persons,
/api/v2/organizations (cursor paging, `additional_data.next_cursor`), GET /api/v1/users,
/api/v1/deals/{id}/changelog (cursor paging), /api/v1/dealFields (start/limit paging); control routes
POST /_emulator/deals (add), /_emulator/deals/{id} (change), /_emulator/deals/{id}/delete.
Choices where Pipedrive's docs are silent: changelog items newest first; error texts below; the daily budget
counts requests; `status=deleted` lists every deleted deal (Pipedrive: those deleted in the last 30 days).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.common.app import api, control, create_app as harness_app, emulator_state, json_body, multi_param
from emulators.common.paging import check_limit, cursor_page, offset_page
from emulators.common.records import instant_param, parse_instant
from emulators.common.state import EmulatorState
from emulators.common.vendor import ApiError, Call, RateWindow, Vendor, added_field_fault, any_of, bearer, header_key
from emulators.common.vendor import query_key
from emulators.pipedrive.store import DealNotFound, PipedriveAccount

API_TOKEN_MESSAGE = "Invalid API token"
OAUTH_MESSAGES = {"expired": "Invalid token: access token has expired"}
OAUTH_INVALID = "Invalid token: access token is invalid"
BURST_MESSAGE = "Request over limit"
DAILY_MESSAGE = "daily request budget exceeded"
SERVER_MESSAGES = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable",
                   504: "Gateway timeout"}
BURST_SECONDS = 2.0
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
MAX_IDS = 100
DEAL_STATUSES = ("open", "won", "lost", "deleted")
SORT_FIELDS = ("id", "update_time", "add_time")


# ---------------------------------------------------------------- Pipedrive as the harness sees it
def _error_body(call: Call, exc: ApiError) -> dict[str, Any]:
    return {"success": False, "error": exc.message, "errorCode": exc.status}


def _unauthorized(call: Call, reason: str) -> ApiError:
    if bearer()(call.request) is not None and header_key("x-api-token")(call.request) is None:
        return ApiError(401, OAUTH_MESSAGES.get(reason, OAUTH_INVALID))
    return ApiError(401, API_TOKEN_MESSAGE)


def rate_headers(state: EmulatorState, policy: str | None) -> dict[str, str]:
    """x-ratelimit-* of the burst window (none while no burst limit is set); reset in seconds."""
    window = state.window("burst")
    if window is None:
        return {}
    used = state.used(BURST_SECONDS)
    remaining = 0 if policy == "burst" else max(0, window.limit - used)
    reset = math.ceil(state.seconds_until_free(BURST_SECONDS)) or int(BURST_SECONDS)
    return {"x-ratelimit-limit": str(window.limit), "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset)}


def _rate_limited(call: Call, policy: str) -> Response:
    if policy == "daily":
        now = datetime.now(UTC)
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        retry, message = max(1, math.ceil((midnight - now).total_seconds())), DAILY_MESSAGE
    else:
        retry, message = max(1, math.ceil(call.state.seconds_until_free(BURST_SECONDS))), BURST_MESSAGE
    body = {"success": False, "error": message, "errorCode": 429}
    return JSONResponse(body, 429, headers={**rate_headers(call.state, policy), "Retry-After": str(retry)})


def _server_error(call: Call, status: int) -> Response:
    return JSONResponse({"success": False, "error": SERVER_MESSAGES[status], "errorCode": status}, status)


PIPEDRIVE = Vendor(
    name="Pipedrive",
    auth=any_of(header_key("x-api-token"), query_key("api_token"), bearer()),
    error_body=_error_body,
    unauthorized=_unauthorized,
    rate_limited=_rate_limited,
    server_error=_server_error,
    rate_policies=("burst", "daily"),
    rate_headers=rate_headers,
    rate_headers_everywhere=True,
    default_server_errors=(500, 503),
    faults={"extra_field": added_field_fault()},
    stats_by_route=True,
    rate_horizon_seconds=BURST_SECONDS,
)

# `funnelhouse emulate pipedrive --rate-limits NAME`: "pipedrive" is the burst limit of an API token on the
# Professional plan (80 requests per rolling 2 s); the daily token budget stays off.
RATE_LIMIT_PROFILES: dict[str, dict[str, int | None]] = {
    "off": {"burst_limit": None, "daily_budget": None},
    "pipedrive": {"burst_limit": 80, "daily_budget": None},
}


def pipedrive_state(account: PipedriveAccount, token: str, burst_limit: int | None = None,
                    daily_budget: int | None = None) -> EmulatorState:
    windows = []
    if burst_limit is not None:
        windows.append(RateWindow("burst", BURST_SECONDS, burst_limit))
    if daily_budget is not None:
        windows.append(RateWindow("daily", None, daily_budget))
    return EmulatorState(PIPEDRIVE, [token], store=account, windows=windows)


# ---------------------------------------------------------------- helpers
def _account(request: Request) -> PipedriveAccount:
    return emulator_state(request).store


def _added_field(request: Request) -> dict[str, Any] | None:
    return emulator_state(request).current_faults()["extra_field"]


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    return check_limit(raw, DEFAULT_LIMIT, MAX_LIMIT,
                       f"Validation failed: limit: Number must be between 1 and {MAX_LIMIT}, got {raw}")


def _int_filter(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Validation failed: {name}: Expected number, received string") from None


def _choice(request: Request, name: str, choices: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name) or default
    if value not in choices:
        raise ApiError(400, f"Validation failed: {name}: Invalid enum value. Expected {' | '.join(choices)}, "
                            f"received '{value}'")
    return value


def _sort_key(field: str):
    if field == "id":
        return lambda record: (record["id"],)

    def key(record: dict[str, Any]) -> tuple:
        moment = parse_instant(record.get(field))
        return (None if moment is None else moment.timestamp(), record["id"])

    return key


def _listing(request: Request, records: list[dict[str, Any]], render=None, sortable: bool = True) -> Response:
    """One v2 page: sorted as asked, after the cursor, in Pipedrive's envelope."""
    limit = _limit(request)
    field = _choice(request, "sort_by", SORT_FIELDS, "id") if sortable else "id"
    descending = (_choice(request, "sort_direction", ("asc", "desc"), "asc") if sortable else "asc") == "desc"
    key = _sort_key(field)
    keyed = sorted(((key(r), r) for r in records), key=lambda pair: _nulls_first(pair[0]), reverse=descending)
    page, next_cursor = cursor_page(keyed, limit, request.query_params.get("cursor"), lambda pair: pair[0],
                                    descending)
    data = [render(r) if render else r for _, r in page]
    return JSONResponse({"success": True, "data": data, "additional_data": {"next_cursor": next_cursor}})


def _nulls_first(values: tuple) -> tuple:
    return tuple((v is not None, v) for v in values)


def _rows(request: Request, table: str, deleted: bool | None = False, extra_filters: tuple[str, ...] = ()):
    """A table's rows after ids, updated_since/updated_until and the named integer filters."""
    ids = multi_param(request, "ids")
    if len(ids) > MAX_IDS:
        raise ApiError(400, f"Validation failed: ids: Array must contain at most {MAX_IDS} element(s)")
    try:
        wanted = [int(i) for i in ids] if ids else None
    except ValueError:
        raise ApiError(400, "Validation failed: ids: Expected number, received string") from None
    filters = {name: _int_filter(request, name) for name in extra_filters}
    filters = {name: value for name, value in filters.items() if value is not None}
    return _account(request).tables[table].rows(
        deleted=deleted,
        since=instant_param(request.query_params.get("updated_since"), "updated_since"),
        until=instant_param(request.query_params.get("updated_until"), "updated_until"),
        ids=wanted,
        where=(lambda r: all(r.get(k) == v for k, v in filters.items())) if filters else None,
    )


# ---------------------------------------------------------------- v2 routes
def _deal_renderer(request: Request):
    added = _added_field(request)
    only = multi_param(request, "custom_fields")

    def render(deal: dict[str, Any]) -> dict[str, Any]:
        fields = dict(deal.get("custom_fields") or {})
        if added is not None:
            fields[added["name"]] = added["value"]
        if only:
            fields = {k: v for k, v in fields.items() if k in only}
        return {**deal, "custom_fields": fields}

    return render


async def list_deals(request: Request) -> Response:
    statuses = multi_param(request, "status")
    for status in statuses:
        if status not in DEAL_STATUSES:
            raise ApiError(400, f"Validation failed: status: Invalid enum value. Expected "
                                f"{' | '.join(DEAL_STATUSES)}, received '{status}'")
    filters = ("owner_id", "person_id", "org_id", "pipeline_id", "stage_id")
    live = [s for s in statuses if s != "deleted"]
    rows = []
    if not statuses or live:
        rows = [r for r in _rows(request, "deals", False, filters) if not live or r.get("status") in live]
    if "deleted" in statuses:
        rows += _rows(request, "deals", True, filters)
    return _listing(request, rows, _deal_renderer(request))


async def get_deal(request: Request) -> Response:
    deal_id = _path_id(request)
    deal = _account(request).deals.get(deal_id)
    if deal is None or deal.get("is_deleted"):
        raise DealNotFound(deal_id)
    return JSONResponse({"success": True, "data": _deal_renderer(request)(deal)})


async def list_pipelines(request: Request) -> Response:
    return _listing(request, _rows(request, "pipelines"))


async def list_stages(request: Request) -> Response:
    return _listing(request, _rows(request, "stages", extra_filters=("pipeline_id",)))


async def list_persons(request: Request) -> Response:
    return _listing(request, _rows(request, "persons", extra_filters=("owner_id", "org_id")))


async def list_organizations(request: Request) -> Response:
    return _listing(request, _rows(request, "organizations", extra_filters=("owner_id",)))


# ---------------------------------------------------------------- v1 routes
def _path_id(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit():
        raise ApiError(400, f"Validation failed: id: Expected number, received '{raw}'")
    return int(raw)


async def list_users(request: Request) -> Response:
    return JSONResponse({"success": True, "data": _account(request).users})


async def deal_changelog(request: Request) -> Response:
    deal_id = _path_id(request)
    items = _account(request).deal_changelog(deal_id)
    if items is None:
        raise DealNotFound(deal_id)
    limit = _limit(request)
    positions = [{**item, "_position": n} for n, item in enumerate(items)]
    page, next_cursor = cursor_page(positions, limit, request.query_params.get("cursor"),
                                    lambda item: (item["_position"],))
    data = [{k: v for k, v in item.items() if k != "_position"} for item in page]
    return JSONResponse({"success": True, "data": data, "additional_data": {"next_cursor": next_cursor}})


async def list_deal_fields(request: Request) -> Response:
    fields = list(_account(request).deal_fields)
    added = _added_field(request)
    if added is not None:
        fields.append({"id": max([f["id"] for f in fields], default=0) + 1, "key": added["name"],
                       "name": added["name"], "order_nr": len(fields), "field_type": "varchar",
                       "active_flag": True, "edit_flag": True, "mandatory_flag": False})
    limit = _limit(request)
    start = _int_filter(request, "start") or 0
    page, next_start = offset_page(fields, limit, start)
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": next_start is not None}
    if next_start is not None:
        pagination["next_start"] = next_start
    return JSONResponse({"success": True, "data": page, "additional_data": {"pagination": pagination}})


async def unknown_api_path(request: Request) -> Response:
    raise ApiError(404, f"Unknown method {request.method} {request.url.path}")


# ---------------------------------------------------------------- /_emulator/ deal edits
async def admin_create_deal(request: Request) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object of deal fields.")
    return JSONResponse(_account(request).create_deal(body), 201)


async def admin_update_deal(request: Request) -> Response:
    body = await json_body(request)
    changes = body.get("changes") if isinstance(body, dict) else None
    if not isinstance(changes, dict):
        raise ApiError(400, 'The body must be {"changes": {<field>: <value>}, "actor_user_id": <id>}.')
    return JSONResponse(_account(request).update_deal(_path_id(request), changes, body.get("actor_user_id")))


async def admin_delete_deal(request: Request) -> Response:
    return JSONResponse(_account(request).delete_deal(_path_id(request)))


def create_app(state: EmulatorState) -> Starlette:
    routes = [
        Route("/_emulator/deals", control(admin_create_deal), methods=["POST"]),
        Route("/_emulator/deals/{id}", control(admin_update_deal), methods=["POST"]),
        Route("/_emulator/deals/{id}/delete", control(admin_delete_deal), methods=["POST"]),
        Route("/api/v2/deals", api(list_deals), methods=["GET"]),
        Route("/api/v2/deals/{id}", api(get_deal), methods=["GET"]),
        Route("/api/v2/pipelines", api(list_pipelines), methods=["GET"]),
        Route("/api/v2/stages", api(list_stages), methods=["GET"]),
        Route("/api/v2/persons", api(list_persons), methods=["GET"]),
        Route("/api/v2/organizations", api(list_organizations), methods=["GET"]),
        Route("/api/v1/users", api(list_users), methods=["GET"]),
        Route("/api/v1/deals/{id}/changelog", api(deal_changelog), methods=["GET"]),
        Route("/api/v1/dealFields", api(list_deal_fields), methods=["GET"]),
        Route("/api/{rest:path}", api(unknown_api_path), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    return harness_app(state, routes)
