"""Starlette application answering like HubSpot's CRM v3 API, on the emulator harness (emulators.common).

`HUBSPOT` describes HubSpot to the harness: bearer auth, its error body (status, message, correlationId,
category), its 429 bodies per policy and the X-HubSpot-RateLimit-* headers, a 502 gateway page; its own faults
are `extra_property` (a new property on every object) and `missing_scopes` (403 MISSING_SCOPES).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.common.app import Handler, control, create_app as harness_app, int_param, json_body, multi_param
from emulators.common.app import api as harness_api
from emulators.common.paging import next_url
from emulators.common.state import EmulatorState
from emulators.common.vendor import ApiError, Call, Fault, RateWindow, Vendor, added_field_fault, bearer
from emulators.hubspot.account import ASSOCIATION_TYPE_IDS, read_scope
from emulators.hubspot.store import (
    SINGULAR,
    HubSpotError,
    HubSpotStore,
    property_value,
    resolve_object_type,
)

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
EXPIRED_MESSAGE = "The OAuth token used to make this call expired."
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
_REQUEST_NAMESPACE = uuid.UUID("5f1b8a52-0c1e-4d0e-9a57-6d7f3c9e2b10")


# ---------------------------------------------------------------- HubSpot as the harness sees it
def error_body(correlation_id: str, message: str, category: str, **extra: Any) -> dict[str, Any]:
    body = {"status": "error", "message": message, "correlationId": correlation_id, "category": category}
    body.update(extra)
    return body


def _render_error(call: Call, exc: ApiError) -> dict[str, Any]:
    details = dict(exc.details)
    return error_body(call.request_id, exc.message, details.pop("category", "VALIDATION_ERROR"), **details)


def _unauthorized(call: Call, reason: str) -> ApiError:
    if reason == "expired":
        return HubSpotError(401, EXPIRED_MESSAGE, "EXPIRED_AUTHENTICATION")
    return HubSpotError(401, AUTH_MESSAGE, "INVALID_AUTHENTICATION")


def rate_limit_headers(state: EmulatorState, policy: str | None = None) -> dict[str, str]:
    ten_seconds, secondly_window = state.window("TEN_SECONDLY_ROLLING"), state.window("SECONDLY")
    if ten_seconds is not None:
        interval_max = ten_seconds.limit
        secondly = secondly_window.limit if secondly_window else max(1, interval_max // 10)
    elif secondly_window is not None:
        secondly = secondly_window.limit
        interval_max = secondly * 10
    else:  # no burst limit enforced: the whole daily budget may go in one interval, and the headers say so
        secondly = interval_max = DAILY_LIMIT
    in_second, in_interval, daily = state.used(1.0), state.used(INTERVAL_MS / 1000), state.used(None)
    daily_remaining = 0 if policy == "DAILY" else max(0, DAILY_LIMIT - daily)
    limited = policy in ("TEN_SECONDLY_ROLLING", "SECONDLY")
    return {
        "X-HubSpot-RateLimit-Daily": str(DAILY_LIMIT),
        "X-HubSpot-RateLimit-Daily-Remaining": str(daily_remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": str(INTERVAL_MS),
        "X-HubSpot-RateLimit-Max": str(interval_max),
        "X-HubSpot-RateLimit-Remaining": str(0 if limited else max(0, interval_max - in_interval)),
        "X-HubSpot-RateLimit-Secondly": str(secondly),
        "X-HubSpot-RateLimit-Secondly-Remaining": str(0 if limited else max(0, secondly - in_second)),
    }


def _rate_limited(call: Call, policy: str) -> Response:
    body = {
        "status": "error",
        "message": RATE_LIMIT_MESSAGES[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": call.request_id,
        "policyName": policy,
        "requestId": uuid.uuid5(_REQUEST_NAMESPACE, "request-" + call.request_id).hex,
    }
    return JSONResponse(body, 429, headers={**rate_limit_headers(call.state, policy), "Retry-After": "1"})


def _gateway_error(call: Call, status: int) -> Response:
    if status == 502:
        return Response(GATEWAY_502_HTML, 502, media_type="text/html")
    messages = {500: "Internal error", 503: "Service Unavailable", 504: "Gateway Timeout"}
    categories = {500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE", 504: "TIMEOUT"}
    return JSONResponse(error_body(call.request_id, messages[status], categories[status]), status)


def _scope_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
        raise ValueError('must be a list of scope names, e.g. ["crm.objects.deals.read"]')
    return list(value)


HUBSPOT = Vendor(
    name="HubSpot",
    auth=bearer(),
    error_body=_render_error,
    unauthorized=_unauthorized,
    rate_limited=_rate_limited,
    server_error=_gateway_error,
    rate_policies=("TEN_SECONDLY_ROLLING", "DAILY", "SECONDLY"),
    rate_headers=rate_limit_headers,
    default_server_errors=(502, 503),
    request_id_header="X-HubSpot-Correlation-Id",
    faults={
        "extra_property": added_field_fault(property_value),
        "missing_scopes": Fault([], _scope_list),
    },
    rate_horizon_seconds=INTERVAL_MS / 1000,
)


def hubspot_state(
    store: HubSpotStore,
    token: str,
    rate_limit_per_second: int | None,
    search_rate_limit_per_second: int | None,
    search_result_limit: int,
    rate_limit_per_ten_seconds: int | None = None,
    missing_scopes: tuple[str, ...] = (),
) -> EmulatorState:
    """The harness state with HubSpot's limits: 10 s rolling, per second, and per second for search."""
    windows = []
    if rate_limit_per_ten_seconds is not None:
        windows.append(RateWindow("TEN_SECONDLY_ROLLING", INTERVAL_MS / 1000, rate_limit_per_ten_seconds))
    if rate_limit_per_second is not None:
        windows.append(RateWindow("SECONDLY", 1.0, rate_limit_per_second))
    if search_rate_limit_per_second is not None:
        windows.append(RateWindow("SECONDLY", 1.0, search_rate_limit_per_second, group="search"))
    return EmulatorState(
        HUBSPOT,
        [token],
        store=store,
        windows=windows,
        fault_defaults={"missing_scopes": list(missing_scopes)},
        on_faults=lambda faults: store.set_extra_property(faults["extra_property"]),
        options={"search_result_limit": search_result_limit},
    )


# ---------------------------------------------------------------- helpers
def _bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise HubSpotError(400, f"Unable to parse '{raw}' as a boolean for query parameter '{name}'.")


def _object_type(request: Request, key: str = "object_type") -> str:
    name = request.path_params[key]
    object_type = resolve_object_type(name)
    if object_type is None:
        raise HubSpotError(400, f"Unable to infer object type from: {name}")
    return object_type


def _association_targets(names: list[str]) -> list[str]:
    targets = []
    for name in names:
        target = resolve_object_type(name)
        if target is not None and target not in targets:
            targets.append(target)
    return targets


def _not_found(object_id: str) -> HubSpotError:
    return HubSpotError(
        404,
        "Object not found.  objectId are usually numeric.",
        "OBJECT_NOT_FOUND",
        context={"id": [object_id]},
    )


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


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


def _scope_guard(scopes: Scopes) -> Callable[[Call], Response | None]:
    def guard(call: Call) -> Response | None:
        missing = set(call.state.current_faults()["missing_scopes"])
        refused = [scope for scope in scopes(call.request) if scope in missing]
        return _missing_scopes(call.request_id, refused) if refused else None

    return guard


def api(handler: Handler, is_search: bool = False, scopes: Scopes | None = None) -> Handler:
    """A CRM API route on the harness: search counts against the search window and sends no rate headers."""
    return harness_api(
        handler,
        group="search" if is_search else None,
        guard=None if scopes is None else _scope_guard(scopes),
        rate_headers=not is_search,
    )


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
    properties = multi_param(request, "properties")
    history = multi_param(request, "propertiesWithHistory")
    associations = multi_param(request, "associations")
    limit = int_param(request.query_params.get("limit"), "limit", 10)
    max_limit = LIST_MAX_LIMIT_WITH_HISTORY if history else LIST_MAX_LIMIT
    if limit < 1 or limit > max_limit:
        detail = " when propertiesWithHistory is requested" if history else ""
        raise HubSpotError(
            400,
            f"limit must be between 1 and {max_limit}{detail}; got {limit}.",
            context={"limit": [str(limit)]},
        )
    raw_after = request.query_params.get("after")
    after = int_param(raw_after, "after", 0)
    if after < 0:
        raise HubSpotError(400, f"Invalid paging cursor: {raw_after}")
    archived = _bool_param(request, "archived")
    docs, next_after = store.list_page(object_type, archived, after, limit)
    body: dict[str, Any] = {
        "results": _render_many(store, object_type, docs, properties, history, associations)
    }
    if next_after is not None:
        link = next_url(request, f"/crm/v3/objects/{request.path_params['object_type']}/", after=next_after)
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
        multi_param(request, "properties"),
        multi_param(request, "propertiesWithHistory"),
        multi_param(request, "associations"),
    )[0]
    return JSONResponse(result)


async def batch_read(request: Request) -> Response:
    object_type = _object_type(request)
    store = _store(request)
    body = await json_body(request)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list):
        raise HubSpotError(400, 'Invalid input: "inputs" must be a list of {"id": ...}.')
    if len(inputs) > 100:
        raise HubSpotError(400, f"Batch input is limited to 100 inputs; got {len(inputs)}.")
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
    body = await json_body(request)
    if not isinstance(body, dict):
        raise HubSpotError(400, "Invalid input: the search request body must be a JSON object.")
    limit = int_param(body.get("limit"), "limit", 10)
    if limit < 0 or limit > SEARCH_MAX_LIMIT:
        raise HubSpotError(
            400,
            f"limit must be between 0 and {SEARCH_MAX_LIMIT}; got {limit}.",
            context={"limit": [str(limit)]},
        )
    raw_after = body.get("after")
    offset = int_param(raw_after, "after", 0)
    if offset < 0:
        raise HubSpotError(400, f"Invalid paging cursor: {raw_after}")
    cap = state.options["search_result_limit"]
    if offset >= cap:
        raise HubSpotError(
            400,
            f"There was a problem with the request. The search API returns at most {cap:,} results "
            f"for any query; paging beyond them (after={offset}) is not allowed. Narrow the query "
            f"with filters instead.",
            context={"after": [str(raw_after)]},
        )
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list) or any(not isinstance(g, dict) for g in groups):
        raise HubSpotError(400, 'Invalid input: "filterGroups" must be a list of {"filters": [...]}.')
    filter_counts = [len(g.get("filters") or []) for g in groups]
    if len(groups) > 5 or any(n > 10 for n in filter_counts) or sum(filter_counts) > 25:
        raise HubSpotError(
            400,
            "Too many filters: at most 5 filterGroups, 10 filters in a group and 25 filters in "
            "total are allowed.",
        )
    sorts = body.get("sorts") or []
    if not isinstance(sorts, list):
        raise HubSpotError(400, 'Invalid input: "sorts" must be a list.')
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
    body = await json_body(request)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or any(not isinstance(i, dict) or i.get("id") is None for i in inputs):
        raise HubSpotError(400, 'Invalid input: "inputs" must be a list of {"id": ..., "after": ...}.')
    if len(inputs) > ASSOCIATIONS_BATCH_MAX:
        raise HubSpotError(
            400, f"Batch input is limited to {ASSOCIATIONS_BATCH_MAX} inputs; got {len(inputs)}.",
            context={"inputs": [str(len(inputs))]},
        )
    ids = [int(str(i["id"])) for i in inputs if str(i["id"]).isdigit()]
    links = _store(request).associations(from_type, ids, [to_type])
    kind = {"category": "HUBSPOT_DEFINED", "typeId": ASSOCIATION_TYPE_IDS.get((from_type, to_type)), "label": None}
    started = _now_iso()
    results, errors = [], []
    for item in inputs:
        raw_id, offset = str(item["id"]), int_param(item.get("after"), "after", 0)
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
    limit = int_param(request.query_params.get("limit"), "limit", 100)
    if limit < 1 or limit > OWNERS_MAX_LIMIT:
        raise HubSpotError(400, f"limit must be between 1 and {OWNERS_MAX_LIMIT}; got {limit}.")
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
        after = int_param(raw_after, "after", 0)
        owners = [o for o in owners if str(o.get("id")).isdigit() and int(o["id"]) >= after]
    body: dict[str, Any] = {"results": owners[:limit]}
    if len(owners) > limit:
        next_after = str(owners[limit]["id"])
        body["paging"] = {"next": {"after": next_after, "link": next_url(request, "/crm/v3/owners/", after=next_after)}}
    return JSONResponse(body)


async def get_owner(request: Request) -> Response:
    store = _store(request)
    owner_id = request.path_params["owner_id"]
    field = "userId" if request.query_params.get("idProperty") == "userId" else "id"
    archived = _bool_param(request, "archived")
    for owner in store.owners:
        if str(owner.get(field)) == owner_id and bool(owner.get("archived")) == archived:
            return JSONResponse(owner)
    raise HubSpotError(
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
    raise HubSpotError(404, f"Unable to find pipeline {pipeline_id}", "OBJECT_NOT_FOUND")


async def list_pipeline_stages(request: Request) -> Response:
    pipeline_id = request.path_params["pipeline_id"]
    for pipeline in _pipelines_for(request):
        if str(pipeline.get("id")) == pipeline_id:
            return JSONResponse({"results": pipeline.get("stages") or []})
    raise HubSpotError(404, f"Unable to find pipeline {pipeline_id}", "OBJECT_NOT_FOUND")


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
    raise HubSpotError(404, f"Property {name} does not exist", "OBJECT_NOT_FOUND")


async def unknown_api_path(request: Request) -> Response:
    raise HubSpotError(404, f"No API matches {request.method} {request.url.path}", "OBJECT_NOT_FOUND")


# ---------------------------------------------------------------- /_emulator/ control endpoints
def _admin_object_target(request: Request) -> tuple[str, int]:
    object_type = _object_type(request)
    raw_id = request.path_params["object_id"]
    if not raw_id.isdigit():
        raise _not_found(raw_id)
    return object_type, int(raw_id)


async def admin_update_object(request: Request) -> Response:
    object_type, object_id = _admin_object_target(request)
    body = await json_body(request)
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict):
        raise HubSpotError(400, 'The body must be {"properties": {...}}.')
    user = body.get("updatedByUserId")
    doc = _store(request).update(object_type, object_id, properties, None if user is None else int(user))
    return JSONResponse(doc)


async def admin_archive_object(request: Request) -> Response:
    object_type, object_id = _admin_object_target(request)
    return JSONResponse(_store(request).archive(object_type, object_id))


async def admin_create_object(request: Request) -> Response:
    object_type = _object_type(request)
    body = await json_body(request)
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict):
        raise HubSpotError(400, 'The body must be {"properties": {...}, "associations": {...}}.')
    doc = _store(request).create(object_type, properties, body.get("associations") or {})
    return JSONResponse(doc, 201)


def create_app(state: EmulatorState) -> Starlette:
    routes = [
        Route("/_emulator/objects/{object_type}", control(admin_create_object), methods=["POST"]),
        Route("/_emulator/objects/{object_type}/{object_id}", control(admin_update_object), methods=["POST"]),
        Route(
            "/_emulator/objects/{object_type}/{object_id}/archive",
            control(admin_archive_object),
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
    return harness_app(state, routes)
