"""Zoho CRM API v8 routes on the emulator harness (routes, seed format and choices: emulators/zoho/README.md).

Followed: github.com/zoho/crm-oas v8.0/record.json (Get Records parameters, `Info`, `Deleted_Record`),
common.json (`API_Exception`: code, details, message, status), and zoho.com/crm/developer/docs/api/v8/
get-records.html (fields mandatory, page_token past 2,000 records, If-Modified-Since -> 304), get-related-records,
get-deleted-records, get-pipelines (layout_id mandatory), get-users, COQL-Overview, status-codes, oauth-overview
(refresh grant at the accounts server, `Zoho-oauthtoken` header). Where the docs are silent the choice is said in
the README.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulators.common.app import api, control, emulator_state, int_param, json_body, multi_param
from emulators.common.paging import decode_cursor, encode_cursor
from emulators.common.records import parse_instant
from emulators.common.state import EmulatorState
from emulators.common.vendor import ApiError, Call, RateWindow, Vendor, added_field_fault
from emulators.zoho import coql
from emulators.zoho.store import MODULES, MODIFIED, ZohoOrg

BASE = "/crm/v8"
MAX_PER_PAGE = 200
DISCRETE_LIMIT = 2000  # records `page` may reach; past them only page_token pages
MAX_FIELDS = 50
TOKEN_SECONDS = 3600
PAGE_TOKEN_HOURS = 24
SORT_FIELDS = ("id", "Created_Time", "Modified_Time")
USER_TYPES = ("AllUsers", "ActiveUsers", "DeactiveUsers", "ConfirmedUsers", "NotConfirmedUsers", "DeletedUsers",
              "ActiveConfirmedUsers", "AdminUsers", "ActiveConfirmedAdmins", "CurrentUser")
RATE_MESSAGES = {
    "concurrency": "The user has sent too many requests in a given amount of time.",
    "credits": "The API credits of the org for the last 24 hours are exhausted.",
}
SERVER_ERRORS = {500: ("INTERNAL_ERROR", "Internal Server Error"),
                 502: ("INTERNAL_ERROR", "Bad Gateway"),
                 503: ("INTERNAL_ERROR", "Service Unavailable"),
                 504: ("INTERNAL_ERROR", "Gateway Timeout")}
INVALID_TOKEN = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}


# ---------------------------------------------------------------- Zoho as the harness sees it
def zoho_oauthtoken(request: Request) -> str | None:
    """`Authorization: Zoho-oauthtoken <token>` (Zoho's scheme; a Bearer header is not accepted)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme == "Zoho-oauthtoken" else None


def error_body(call: Call | None, exc: ApiError) -> dict[str, Any]:
    return {"code": exc.details.get("code", "INVALID_DATA"), "details": exc.details.get("details", {}),
            "message": exc.message, "status": "error"}


def _unauthorized(call: Call, reason: str) -> ApiError:
    return ApiError(401, INVALID_TOKEN["message"], code="INVALID_TOKEN")


def _rate_limited(call: Call, policy: str) -> Response:
    body = {"code": "TOO_MANY_REQUESTS", "details": {}, "message": RATE_MESSAGES[policy], "status": "error"}
    return JSONResponse(body, 429)


def _server_error(call: Call, status: int) -> Response:
    code, message = SERVER_ERRORS[status]
    return JSONResponse({"code": code, "details": {}, "message": message, "status": "error"}, status)


ZOHO = Vendor(
    name="Zoho CRM",
    auth=zoho_oauthtoken,
    error_body=error_body,
    unauthorized=_unauthorized,
    rate_limited=_rate_limited,
    server_error=_server_error,
    rate_policies=("concurrency", "credits"),
    faults={"extra_field": added_field_fault()},
    stats_by_route=True,
)

# `--rate-limits zoho`: an Enterprise org of 10 users has 50,000 + 10 x 1,000 credits a day (one per Get Records
# call) and 20 concurrent calls, taken here as 20 calls a second.
RATE_LIMIT_PROFILES: dict[str, dict[str, int | None]] = {
    "off": {"daily_credits": None, "per_second": None},
    "zoho": {"daily_credits": 60_000, "per_second": 20},
}


def zoho_state(org: ZohoOrg, tokens: list[str], grants: TokenGrants, daily_credits: int | None = None,
               per_second: int | None = None) -> EmulatorState:
    windows = []
    if per_second is not None:
        windows.append(RateWindow("concurrency", 1.0, per_second))
    if daily_credits is not None:
        windows.append(RateWindow("credits", None, daily_credits))
    return EmulatorState(ZOHO, tokens, store=org, windows=windows, options={"grants": grants})


# ---------------------------------------------------------------- the accounts server
class TokenGrants:
    """The one self client of the org: refresh grants issue a new access token each (valid for an hour)."""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str):
        self.client_id, self._secret, self._refresh_token = client_id, client_secret, refresh_token
        self.issued = 0

    def grant(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != "refresh_token":
            return {"error": "unsupported_grant_type"}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self._secret:
            return {"error": "invalid_client"}
        if form.get("refresh_token") != self._refresh_token:
            return {"error": "invalid_code"}
        self.issued += 1
        digest = hashlib.sha256(f"{self._secret}:{self.issued}".encode()).hexdigest()
        return {"access_token": f"1000.{digest[:32]}.{digest[32:64]}", "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS}


async def token(request: Request) -> Response:
    """POST /oauth/v2/token: a granted token becomes valid in the harness's state; api_domain is this host."""
    state = emulator_state(request)
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    form.update({k: v for k, v in request.query_params.items() if k not in form})  # Zoho also takes them as query
    body = state.options["grants"].grant(form)
    if "access_token" in body:
        state.accept_token(body["access_token"])
        body = {"access_token": body["access_token"], "scope": "ZohoCRM.modules.ALL ZohoCRM.settings.ALL "
                "ZohoCRM.users.READ ZohoCRM.coql.READ", "api_domain": str(request.base_url).rstrip("/"),
                "token_type": "Bearer", "expires_in": body["expires_in"]}
    state.record(request.url.path, 200, "/oauth/v2/token")
    return JSONResponse(body, 200)


# ---------------------------------------------------------------- helpers
def _org(request: Request) -> ZohoOrg:
    return emulator_state(request).store


def _module(request: Request) -> str:
    module = request.path_params["module"]
    if module not in MODULES:
        raise ApiError(400, "the module name given seems to be invalid", code="INVALID_MODULE",
                       details={"resource_path_index": 0})
    return module


def _per_page(request: Request) -> int:
    per_page = int_param(request.query_params.get("per_page"), "per_page", MAX_PER_PAGE)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(400, f"per_page must be between 1 and {MAX_PER_PAGE}", code="INVALID_DATA",
                       details={"param_name": "per_page", "maximum_length": MAX_PER_PAGE})
    return per_page


def _page(request: Request) -> int:
    page = int_param(request.query_params.get("page"), "page", 1)
    if page < 1:
        raise ApiError(400, "page must be a positive integer", code="INVALID_DATA", details={"param_name": "page"})
    return page


def _fields(request: Request) -> list[str]:
    fields = multi_param(request, "fields")
    if not fields:
        raise ApiError(400, "One of the expected parameter is missing", code="REQUIRED_PARAM_MISSING",
                       details={"param_name": "fields"})
    if len(fields) > MAX_FIELDS:
        raise ApiError(400, f"you can give at most {MAX_FIELDS} fields", code="LIMIT_EXCEEDED",
                       details={"param_name": "fields", "maximum_length": MAX_FIELDS})
    return fields


def _if_modified_since(request: Request) -> datetime | None:
    raw = request.headers.get("if-modified-since")
    if not raw:
        return None
    moment = parse_instant(raw)
    if moment is None:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            moment = None
    if moment is None:
        raise ApiError(400, "invalid If-Modified-Since header (expected ISO 8601, e.g. 2026-03-05T14:02:11+05:30)",
                       code="INVALID_DATA", details={"header_name": "If-Modified-Since"})
    return moment


def _renderer(request: Request, fields: list[str]):
    """A record as Get Records answers it: id, the fields asked (null when unset), and the `$` system keys."""
    added = emulator_state(request).current_faults()["extra_field"]

    def render(record: dict[str, Any]) -> dict[str, Any]:
        full = dict(record)
        if added is not None:
            full[added["name"]] = added["value"]
        out = {k: v for k, v in full.items() if k.startswith("$")}
        out.update({name: full.get(name) for name in fields})
        out["id"] = record["id"]
        return out

    return render


def _info(per_page: int, count: int, page: int, more: bool, **extra: Any) -> dict[str, Any]:
    return {"per_page": per_page, "count": count, "page": page, "more_records": more, **extra}


def _related_page(request: Request, rows: list[dict[str, Any]], key: str = "data", render=None) -> Response:
    """`page`/`per_page` over a list (related lists, deleted records, users); 204 when it is empty."""
    per_page, page = _per_page(request), _page(request)
    chunk = rows[(page - 1) * per_page: page * per_page]
    if not chunk:
        return Response(status_code=204)
    data = [render(r) for r in chunk] if render else chunk
    return JSONResponse({key: data, "info": _info(per_page, len(data), page, page * per_page < len(rows))})


# ---------------------------------------------------------------- records
def _sort_key(field: str):
    if field == "id":
        return lambda record: (int(record["id"]),)

    def key(record: dict[str, Any]) -> tuple:
        moment = parse_instant(record.get(field))
        return (moment.timestamp() if moment else 0.0, int(record["id"]))

    return key


def _page_token(offset: int, query: dict[str, Any], expiry: float) -> str:
    return encode_cursor({"o": offset, "q": query, "e": int(expiry)})


def _read_page_token(raw: str) -> tuple[int, dict[str, Any]]:
    try:
        position = decode_cursor(raw)
    except ApiError:
        position = None
    if not isinstance(position, dict) or not isinstance(position.get("o"), int) or not isinstance(position.get("q"), dict):
        raise ApiError(400, "invalid data", code="INVALID_DATA", details={"param_name": "page_token"})
    if position.get("e", 0) < time.time():
        raise ApiError(400, "the page_token has expired", code="EXPIRED_VALUE", details={"param_name": "page_token"})
    return position["o"], position["q"]


async def list_records(request: Request) -> Response:
    module = _module(request)
    fields = _fields(request)
    per_page = _per_page(request)
    raw_token = request.query_params.get("page_token")
    if raw_token and request.query_params.get("page"):
        raise ApiError(400, "You cannot use both page and page_token.", code="AMBIGUITY_DURING_PROCESSING",
                       details={"ambiguity_due_to": ["page", "page_token"]})
    if raw_token:
        offset, query = _read_page_token(raw_token)
        if query.get("module") != module:
            raise ApiError(400, "invalid data", code="INVALID_DATA", details={"param_name": "page_token"})
    else:
        page = _page(request)
        if page * per_page > DISCRETE_LIMIT:
            raise ApiError(400, f"you can only get the first {DISCRETE_LIMIT} records without using page_token "
                                "param", code="DISCRETE_PAGINATION_LIMIT_EXCEEDED", details={"limit": DISCRETE_LIMIT})
        offset = (page - 1) * per_page
        since = _if_modified_since(request)
        query = {"module": module, "sort_by": _choice(request, "sort_by", SORT_FIELDS, "id"),
                 "sort_order": _choice(request, "sort_order", ("asc", "desc"), "desc"),
                 "since": since.isoformat() if since else None, "ids": multi_param(request, "ids"),
                 "converted": _choice(request, "converted", ("true", "false", "both"), "false")}
    since = parse_instant(query["since"])
    rows = _org(request).table(module).rows(since=since, ids=query["ids"] or None)
    if module == "Leads" and query["converted"] != "both":
        wanted = query["converted"] == "true"
        rows = [r for r in rows if bool(r.get("$converted")) == wanted]
    rows.sort(key=_sort_key(query["sort_by"]), reverse=query["sort_order"] == "desc")
    chunk = rows[offset: offset + per_page]
    if not chunk:
        return Response(status_code=304 if since is not None else 204)
    more = offset + per_page < len(rows)
    expiry = time.time() + PAGE_TOKEN_HOURS * 3600
    info = _info(per_page, len(chunk), offset // per_page + 1, more, sort_by=query["sort_by"],
                 sort_order=query["sort_order"],
                 next_page_token=_page_token(offset + per_page, query, expiry) if more else None,
                 previous_page_token=_page_token(max(0, offset - per_page), query, expiry) if offset else None,
                 page_token_expiry=datetime.fromtimestamp(int(expiry), UTC).isoformat() if more else None)
    render = _renderer(request, fields)
    return JSONResponse({"data": [render(r) for r in chunk], "info": info})


def _choice(request: Request, name: str, choices: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name) or default
    if value not in choices:
        raise ApiError(400, "invalid data", code="INVALID_DATA", details={"param_name": name,
                                                                           "supported_values": list(choices)})
    return value


async def related_records(request: Request) -> Response:
    module = _module(request)
    related, record_id = request.path_params["related"], request.path_params["id"]
    if module != "Deals" or related != "Stage_History":
        raise ApiError(400, "the relation name given seems to be invalid", code="INVALID_DATA",
                       details={"param_name": "related_list_api_name"})
    fields = _fields(request)
    rows = _org(request).deal_stage_history(record_id)
    if rows is None:
        raise ApiError(400, "the related id given seems to be invalid", code="INVALID_DATA",
                       details={"id": record_id})
    return _related_page(request, rows, render=lambda r: {**{f: r.get(f) for f in fields}, "id": r["id"]})


async def deleted_records(request: Request) -> Response:
    module = _module(request)
    kind = _choice(request, "type", ("all", "recycle", "permanent"), "all")
    since = _if_modified_since(request)
    rows = [r for r in _org(request).deleted_records(module) if kind == "all" or r.get("type") == kind]
    if since is not None:
        rows = [r for r in rows if (parse_instant(r.get("deleted_time")) or since) >= since]
    return _related_page(request, rows)


# ---------------------------------------------------------------- users, settings, COQL
async def list_users(request: Request) -> Response:
    kind = _choice(request, "type", USER_TYPES, "AllUsers")
    users = _org(request).users
    if kind == "CurrentUser":
        users = users[:1]
    elif kind in ("ActiveUsers", "ActiveConfirmedUsers"):
        users = [u for u in users if u.get("status") == "active"]
    elif kind == "DeactiveUsers":
        users = [u for u in users if u.get("status") == "disabled"]
    elif kind in ("AdminUsers", "ActiveConfirmedAdmins"):
        users = [u for u in users if (u.get("profile") or {}).get("name") == "Administrator"]
    return _related_page(request, users, key="users")


def _required(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise ApiError(400, "One of the expected parameter is missing", code="REQUIRED_PARAM_MISSING",
                       details={"param_name": name})
    return value


async def layouts(request: Request) -> Response:
    if _required(request, "module") != "Deals":
        return Response(status_code=204)
    return JSONResponse({"layouts": _org(request).layouts})


async def pipelines(request: Request) -> Response:
    layout_id = _required(request, "layout_id")
    org = _org(request)
    if not any(layout.get("id") == layout_id for layout in org.layouts):
        raise ApiError(400, "invalid data", code="INVALID_DATA", details={"param_name": "layout_id"})
    if not org.pipelines:
        return Response(status_code=204)
    return JSONResponse({"pipeline": org.pipelines})


async def fields_metadata(request: Request) -> Response:
    module = _required(request, "module")
    if module not in MODULES:
        raise ApiError(400, "the module name given seems to be invalid", code="INVALID_MODULE",
                       details={"param_name": "module"})
    fields = list(_org(request).fields.get(module, []))
    added = emulator_state(request).current_faults()["extra_field"]
    if added is not None:
        fields.append({"api_name": added["name"], "field_label": added["name"], "data_type": "text",
                       "id": str(9_000_000_000_000_000_000 + len(fields)), "custom_field": True})
    return JSONResponse({"fields": fields})


async def run_coql(request: Request) -> Response:
    body = await json_body(request)
    query = coql.parse(body.get("select_query") if isinstance(body, dict) else None)
    if query.module not in MODULES:
        raise ApiError(400, "invalid module given", code="INVALID_QUERY",
                       details={"reason": "invalid module given", "clause": "from"})
    rows = _org(request).table(query.module).rows()
    added = emulator_state(request).current_faults()["extra_field"]
    if added is not None:
        rows = [{**r, added["name"]: added["value"]} for r in rows]
    page, more = coql.run(query, rows)
    if not page:
        return Response(status_code=204)
    return JSONResponse({"data": [coql.select(r, query.fields) for r in page],
                         "info": {"count": len(page), "more_records": more}})


async def unknown_path(request: Request) -> Response:
    raise ApiError(404, "Please check if the URL trying to access is a correct one", code="INVALID_URL_PATTERN")


# ---------------------------------------------------------------- /_emulator/ record edits
async def admin_update(request: Request) -> Response:
    body = await json_body(request)
    changes = body.get("changes") if isinstance(body, dict) else None
    if not isinstance(changes, dict):
        raise ApiError(400, 'The body must be {"changes": {<field API name>: <value>}}.')
    return JSONResponse(_org(request).update(request.path_params["module"], request.path_params["id"], changes))


async def admin_delete(request: Request) -> Response:
    return JSONResponse(_org(request).delete(request.path_params["module"], request.path_params["id"]))


def routes() -> list[BaseRoute]:
    return [
        Route("/oauth/v2/token", token, methods=["POST"]),
        Route("/_emulator/records/{module}/{id}", control(admin_update), methods=["POST"]),
        Route("/_emulator/records/{module}/{id}/delete", control(admin_delete), methods=["POST"]),
        Route(f"{BASE}/coql", api(run_coql), methods=["POST"]),
        Route(f"{BASE}/users", api(list_users), methods=["GET"]),
        Route(f"{BASE}/settings/layouts", api(layouts), methods=["GET"]),
        Route(f"{BASE}/settings/pipeline", api(pipelines), methods=["GET"]),
        Route(f"{BASE}/settings/fields", api(fields_metadata), methods=["GET"]),
        Route(f"{BASE}/{{module}}/deleted", api(deleted_records), methods=["GET"]),
        Route(f"{BASE}/{{module}}/{{id}}/{{related}}", api(related_records), methods=["GET"]),
        Route(f"{BASE}/{{module}}", api(list_records), methods=["GET"]),
        Route("/crm/{rest:path}", api(unknown_path), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
