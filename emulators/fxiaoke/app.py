"""Starlette application answering like fxiaoke's open platform (corpAccessToken in the JSON body), on the emulator
harness (emulators.common). Routes and seed: emulators/fxiaoke/README.md.

Docs followed: developer.fxiaoke.com/openapi_v2 — 全局返回码 (`start/guide/codes.html`), 频次限制
(`start/guide/rate.html`), the 商机/线索/客户/联系人 query pages, 深翻页文档, 对象描述; the old wiki (artiId 27 全局
返回码, 169 接口调用说明, 1146 CRM对象接口调用说明). Every answer is HTTP 200 with `errorCode` (0: success) but for the
`server_errors` fault. Codes: 20017 (no corpAccessToken: "corpAccessToken为必填项，不能为空"), 20016 (unknown or
expired token, or a corpId that is not the token's), 10006 / 20015 (wrong app credentials / permanentCode), 10010 /
20012 (currentOpenUserId missing / unknown), 30004 (over 100 calls per 20 s on one route), 30002 (daily budget).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.common.app import Handler, api, control, create_app as harness_app, emulator_state
from emulators.common.state import EmulatorState
from emulators.common.vendor import ApiError, Call, RateWindow, Vendor, added_field_fault
from emulators.fxiaoke.query import FxError, paging, parameter_error, project, select
from emulators.fxiaoke.store import FxiaokeTenant

TOKEN_PATH = "/cgi/corpAccessToken/get/V2"
QUERY_PATH = "/cgi/crm/v2/data/query"
DESCRIBE_PATH = "/cgi/crm/v2/object/describe"
USER_LIST_PATH = "/cgi/user/list"
DEPARTMENT_LIST_PATH = "/cgi/department/list"
API_PATHS = (QUERY_PATH, DESCRIBE_PATH, USER_LIST_PATH, DEPARTMENT_LIST_PATH)
TOKEN_SECONDS = 7200
ROUTE_WINDOW_SECONDS = 20.0  # 频次限制: 100 calls per 20 s, counted per route
ROUTE_WINDOW_LIMIT = 100
WHOLE_COMPANY = 999999

TOKEN_MISSING = FxError(20017, "corpAccessToken为必填项，不能为空")
TOKEN_INVALID = (20016, "the cropId,cropAccessToken or authorization is error",  # the gateway's words, typo kept
                 "corpAccessToken不存在或者已经过期")
APP_SECRET_WRONG = (10006, "the parameter appSecret is missing or illegal", "缺少参数或参数不合法")
PERMANENT_CODE_WRONG = (20015, "永久授权码错误")
RATE_ANSWERS = {"burst": (30004, "秒频次超限"), "daily": (30002, "当天访问频次超限")}
SERVER_ANSWERS = {500: (-2, "系统错误"), 502: (-1, "系统繁忙"), 503: (-1, "系统繁忙"), 504: (50009, "服务异常，如超时")}


# ---------------------------------------------------------------- fxiaoke as the harness sees it
def _body(request: Request) -> dict[str, Any]:
    body = getattr(request.state, "fx_body", None)
    return body if isinstance(body, dict) else {}


def _credential(request: Request) -> str | None:
    token = _body(request).get("corpAccessToken")
    return token if isinstance(token, str) and token else None


def _trace_id(call: Call) -> str:
    return f"E-O.emulator.1000-{call.request_id.replace('-', '')[:16]}"


def _envelope(call: Call, code: int, message: str, description: str) -> dict[str, Any]:
    return {"errorCode": code, "errorMessage": message, "errorDescription": description, "traceId": _trace_id(call)}


def _error_body(call: Call, exc: ApiError) -> dict[str, Any]:
    code = exc.details.get("code", 32000)
    return _envelope(call, code, exc.message, exc.details.get("description") or exc.message)


def _unauthorized(call: Call, reason: str) -> ApiError:
    return TOKEN_MISSING if reason == "missing" else FxError(*TOKEN_INVALID)


def _rate_limited(call: Call, policy: str) -> Response:
    code, message = RATE_ANSWERS[policy]
    return JSONResponse(_envelope(call, code, message, message))


def _server_error(call: Call, status: int) -> Response:
    code, message = SERVER_ANSWERS.get(status, (-2, "系统错误"))
    return JSONResponse(_envelope(call, code, message, message), status)


FXIAOKE = Vendor(
    name="fxiaoke",
    auth=_credential,
    error_body=_error_body,
    unauthorized=_unauthorized,
    rate_limited=_rate_limited,
    server_error=_server_error,
    rate_policies=("burst", "daily"),
    default_server_errors=(500, 503),
    faults={"extra_field": added_field_fault()},
    stats_by_route=False,
    rate_horizon_seconds=ROUTE_WINDOW_SECONDS,
)

# `--rate-limits NAME`: "fxiaoke" is the documented 100 calls per 20 s per route; the daily budget stays off.
RATE_LIMIT_PROFILES: dict[str, dict[str, int | None]] = {
    "off": {"route_limit": None, "daily_budget": None},
    "fxiaoke": {"route_limit": ROUTE_WINDOW_LIMIT, "daily_budget": None},
}


class CorpApp:
    """The self-built app the tenant granted: its credentials, and the corpAccessToken it hands out. A token stays
    the same while it is valid (the platform returns the same token within its life) and is renewed once the
    `expired_token` fault has expired it."""

    def __init__(self, app_id: str, app_secret: str, permanent_code: str, corp_id: str):
        self.app_id, self._secret, self._code, self.corp_id = app_id, app_secret, permanent_code, corp_id
        self._lock = threading.Lock()
        self._issued = 0
        self._current: str | None = None

    def token_for(self, body: dict[str, Any], state: EmulatorState) -> str:
        """The corpAccessToken for a token request; FxError for wrong credentials."""
        app_id, secret, code = (str(body.get(k) or "") for k in ("appId", "appSecret", "permanentCode"))
        if not (hmac.compare_digest(app_id, self.app_id) and hmac.compare_digest(secret, self._secret)):
            raise FxError(*APP_SECRET_WRONG)
        if not hmac.compare_digest(code, self._code):
            raise FxError(*PERMANENT_CODE_WRONG)
        with self._lock:
            if self._current is None:
                self._issued += 1
                digest = hashlib.sha256(f"{self._secret}:{self._issued}".encode()).hexdigest()
                self._current = digest[:32].upper()
                state.accept_token(self._current)
            return self._current

    def expire(self, faults: dict[str, Any]) -> None:
        """on_faults: once tokens are expired, the next token request gets a new one."""
        if faults.get("expired_token"):
            with self._lock:
                self._current = None


def fxiaoke_state(tenant: FxiaokeTenant, corp: CorpApp, route_limit: int | None = None,
                  daily_budget: int | None = None) -> EmulatorState:
    windows = [RateWindow("burst", ROUTE_WINDOW_SECONDS, route_limit, group=path) for path in API_PATHS
               ] if route_limit is not None else []
    if daily_budget is not None:
        windows.append(RateWindow("daily", None, daily_budget))
    return EmulatorState(FXIAOKE, [], store=tenant, windows=windows, on_faults=corp.expire,
                         options={"corp": corp})


# ---------------------------------------------------------------- helpers
def _tenant(request: Request) -> FxiaokeTenant:
    return emulator_state(request).store


def _corp(request: Request) -> CorpApp:
    return emulator_state(request).options["corp"]


def body_first(endpoint: Handler) -> Handler:
    """Reads the JSON body before the harness checks the token (fxiaoke carries it in the body)."""

    async def read(request: Request) -> Response:
        raw = await request.body()
        try:
            request.state.fx_body = json.loads(raw) if raw.strip() else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            request.state.fx_body = None
        return await endpoint(request)

    return read


def _checked_body(request: Request, needs_user: bool = True) -> dict[str, Any]:
    """The body of a data call after the corpId and currentOpenUserId checks (the token is checked already)."""
    body = getattr(request.state, "fx_body", None)
    if not isinstance(body, dict):
        raise FxError(12004, "POST的数据包为空或不是JSON")
    if body.get("corpId") != _corp(request).corp_id:
        raise FxError(*TOKEN_INVALID)
    if needs_user:
        user = body.get("currentOpenUserId")
        if not isinstance(user, str) or not user:
            raise FxError(10010, "缺少参数openUserId")
        tenant = _tenant(request)
        if tenant.employees and tenant.employee(user) is None:
            raise FxError(20012, "openUserId未找到")
    return body


def _ok(payload: dict[str, Any], message: str = "OK", trace: str = "") -> JSONResponse:
    return JSONResponse({"errorCode": 0, "errorMessage": message, "errorDescription": "success",
                         "traceId": trace, **payload})


def _trace(request: Request) -> str:
    return f"E-O.emulator.1000-{emulator_state(request).total + 1:016x}"


def _added_field(request: Request) -> dict[str, Any] | None:
    return emulator_state(request).current_faults()["extra_field"]


# ---------------------------------------------------------------- routes
async def corp_access_token(request: Request) -> Response:
    """POST /cgi/corpAccessToken/get/V2 (no token needed; counted in the stats, no rate window)."""
    state = emulator_state(request)
    try:
        body = json.loads(await request.body() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    corp = _corp(request)
    try:
        if not isinstance(body, dict):
            raise FxError(12004, "POST的数据包为空或不是JSON")
        token = corp.token_for(body, state)
        answer = {"errorCode": 0, "errorMessage": "success", "corpAccessToken": token, "corpId": corp.corp_id,
                  "expiresIn": TOKEN_SECONDS}
    except FxError as exc:
        answer = {"errorCode": exc.details["code"], "errorMessage": exc.message,
                  "errorDescription": exc.details["description"], "traceId": _trace(request)}
    state.record(request.url.path, 200)
    return JSONResponse(answer)


async def data_query(request: Request) -> Response:
    body = _checked_body(request)
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("dataObjectApiName"), str):
        raise parameter_error("data.dataObjectApiName 为必填项")
    api_name = data["dataObjectApiName"]
    tenant = _tenant(request)
    if not tenant.known_object(api_name):
        raise parameter_error(f"对象 {api_name} 不存在")
    info = data.get("search_query_info")
    if not isinstance(info, dict):
        raise parameter_error("data.search_query_info 为必填项")
    limit, offset = paging(info)
    matched = select(tenant.records(api_name), info)
    added = _added_field(request)
    include_null = body.get("includeNull") is True
    page = []
    for record in matched[offset:offset + limit]:
        if added is not None:
            record = {**record, added["name"]: added["value"]}
        page.append(project(record, info.get("fieldProjection"), include_null))
    total = len(matched) if data.get("find_explicit_total_num", True) not in (False, "false") else 0
    return _ok({"data": {"dataList": page, "offset": offset, "limit": limit, "total": total}},
               trace=_trace(request))


async def object_describe(request: Request) -> Response:
    body = _checked_body(request)
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    api_name = body.get("apiName") or data.get("apiName") or data.get("dataObjectApiName")
    describe = _tenant(request).describes.get(api_name) if isinstance(api_name, str) else None
    if describe is None:
        raise parameter_error(f"对象 {api_name} 不存在" if api_name else "apiName 为必填项")
    added = _added_field(request)
    if added is not None:
        field = {"api_name": added["name"], "label": added["name"], "type": "text", "define_type": "custom",
                 "is_required": False, "is_active": True}
        describe = {**describe, "fields": {**describe["fields"], added["name"]: field}}
    return _ok({"data": {"describe": describe}}, trace=_trace(request))


async def user_list(request: Request) -> Response:
    body = _checked_body(request, needs_user=False)
    department = body.get("departmentId")
    if isinstance(department, bool) or not isinstance(department, int):
        raise FxError(11009, "参数departmentId不合法")
    tenant = _tenant(request)
    wanted = tenant.department_tree(department, body.get("fetchChild") is True)
    users = [u for u in tenant.employees
             if wanted is None or wanted & set(u.get("departmentIds") or [])]
    return _ok({"userList": users}, message="success", trace=_trace(request))


async def department_list(request: Request) -> Response:
    _checked_body(request, needs_user=False)
    return _ok({"departments": _tenant(request).departments}, message="success", trace=_trace(request))


# ---------------------------------------------------------------- /_emulator/ record edits
async def admin_save_record(request: Request) -> Response:
    try:
        changes = json.loads(await request.body() or b"null")
    except json.JSONDecodeError:
        changes = None
    if not isinstance(changes, dict):
        raise ApiError(400, 'The body must be a JSON object of fields ({"_id": <id of a record to change>, ...}).')
    return JSONResponse(_tenant(request).save(request.path_params["api_name"], changes))


def create_app(state: EmulatorState) -> Starlette:
    routes = [
        Route("/_emulator/records/{api_name}", control(admin_save_record), methods=["POST"]),
        Route(TOKEN_PATH, corp_access_token, methods=["POST"]),
        Route(QUERY_PATH, body_first(api(data_query, group=QUERY_PATH)), methods=["POST"]),
        Route(DESCRIBE_PATH, body_first(api(object_describe, group=DESCRIBE_PATH)), methods=["POST"]),
        Route(USER_LIST_PATH, body_first(api(user_list, group=USER_LIST_PATH)), methods=["POST"]),
        Route(DEPARTMENT_LIST_PATH, body_first(api(department_list, group=DEPARTMENT_LIST_PATH)), methods=["POST"]),
    ]
    return harness_app(state, routes)
