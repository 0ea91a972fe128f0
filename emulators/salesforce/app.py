"""Salesforce's routes on the emulator harness: OAuth token, SOQL query/queryAll with nextRecordsUrl paging,
describe, Bulk API 2.0 query jobs, the versions list; control routes that edit and delete records."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulators.common.app import api, control, emulator_state, json_body
from emulators.common.state import EmulatorState
from emulators.common.vendor import ApiError, Call, Fault, RateWindow, Vendor, bearer
from emulators.salesforce import errors
from emulators.salesforce.bulk import BulkJobs
from emulators.salesforce.describe import describe_global, describe_object
from emulators.salesforce.org import API_VERSION, KEY_PREFIXES, Org
from emulators.salesforce.paging import Cursors, batch_size

BASE = f"/services/data/v{API_VERSION}"
DAILY_POLICY = "REQUEST_LIMIT_EXCEEDED"
BULK_JOBS_PER_DAY = 10_000  # Bulk API 2.0 query jobs an org may create in 24 hours
VERSIONS = [
    {"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"},
    {"label": "Summer '24", "url": "/services/data/v61.0", "version": "61.0"},
    {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"},
]
SERVER_ERRORS = {
    500: (
        "UNKNOWN_EXCEPTION",
        (
            "An unexpected error occurred. Please include this ErrorId if you contact support: "
            "1375213921-41233 (-1527406455)"
        ),
    ),
    503: ("SERVER_UNAVAILABLE", "Server is unavailable; please try again later."),
}
DEFAULT_ERROR_CODES = {
    400: "JSON_PARSER_ERROR",
    401: "INVALID_SESSION_ID",
    403: DAILY_POLICY,
    404: "NOT_FOUND",
}


def _error_body(call: Call, exc: ApiError) -> list[dict[str, Any]]:
    code = exc.details.get("error_code") or DEFAULT_ERROR_CODES.get(exc.status, "UNKNOWN_EXCEPTION")
    return errors.error_body(code, exc.message)


def _unauthorized(call: Call, reason: str) -> ApiError:
    return errors.session_expired()


def _rate_limited(call: Call, policy: str) -> Response:
    return JSONResponse(errors.request_limit_exceeded().body(), 403)


def _server_error(call: Call, status: int) -> Response:
    code, message = SERVER_ERRORS.get(status, SERVER_ERRORS[500])
    return JSONResponse(errors.error_body(code, message), status)


def _limit_info(state: EmulatorState, policy: str | None) -> dict[str, str]:
    return {"Sforce-Limit-Info": f"api-usage={state.used(None)}/{state.window(DAILY_POLICY).limit}"}


def _drift(value: Any) -> Any:
    """Schema drift: null or {"name": "<Name>__c", "value": v, "object": "Opportunity", "type": "string"}."""
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or not str(value.get("name", "")).endswith("__c")
        or value.get("object", "Opportunity") not in KEY_PREFIXES
    ):
        raise ValueError(
            'must be null or {"name": "<Field>__c", "value": <value>, "object": <one of '
            f"{', '.join(KEY_PREFIXES)}>}}"
        )
    return {
        "name": value["name"],
        "value": value.get("value"),
        "object": value.get("object", "Opportunity"),
        "type": value.get("type", "string"),
    }


SALESFORCE = Vendor(
    name="Salesforce",
    auth=bearer(),
    error_body=_error_body,
    unauthorized=_unauthorized,
    rate_limited=_rate_limited,
    server_error=_server_error,
    rate_policies=(DAILY_POLICY,),
    rate_headers=_limit_info,
    rate_headers_everywhere=True,
    server_error_statuses=(500, 503),
    default_server_errors=(500, 503),
    faults={"added_field": Fault(None, _drift)},
    stats_by_route=True,
)


def daily_window(cap: int) -> RateWindow:
    """The org's 24-hour request allocation, over the emulator's life."""
    return RateWindow(DAILY_POLICY, None, cap)


def apply_faults(org: Org):
    """on_faults callback: the added_field fault becomes the org's drift field."""

    def on_faults(faults: dict[str, Any]) -> None:
        drift = faults.get("added_field")
        if drift is None:
            org.clear_drift()
        else:
            org.set_drift(drift["object"], drift["name"], drift["value"], drift["type"])

    return on_faults


# ---------------------------------------------------------------- handlers
def _parts(request: Request) -> tuple[Org, Cursors, BulkJobs]:
    parts = emulator_state(request).options
    return parts["org"], parts["cursors"], parts["bulk"]


def _query(include_deleted: bool):
    async def handler(request: Request) -> Response:
        org, cursors, _ = _parts(request)
        text = request.query_params.get("q")
        if not text:
            raise ApiError(400, "A query string is required: ?q=SELECT ...", error_code="MALFORMED_QUERY")
        query, rows = org.select(text, include_deleted)
        return JSONResponse(
            cursors.first_page(query, rows, batch_size(request.headers.get("sforce-query-options")))
        )

    return handler


async def query_more(request: Request) -> Response:
    """`/query/<locator>-<offset>`: a repeated `q` (dlt's client re-sends the first request's params) is ignored."""
    _, cursors, _ = _parts(request)
    return JSONResponse(cursors.next_page(request.path_params["locator"]))


async def sobjects(request: Request) -> Response:
    org, _, _ = _parts(request)
    return JSONResponse(describe_global(list(org.fields)))


async def describe(request: Request) -> Response:
    org, _, _ = _parts(request)
    name = {n.lower(): n for n in org.fields}.get(request.path_params["sobject"].lower())
    if name is None:
        raise errors.not_found()
    return JSONResponse(describe_object(name, org.object_fields(name)))


async def create_job(request: Request) -> Response:
    _, _, bulk = _parts(request)
    return JSONResponse(bulk.create(await json_body(request)))


async def job_info(request: Request) -> Response:
    _, _, bulk = _parts(request)
    return JSONResponse(bulk.poll(request.path_params["job_id"]))


async def job_results(request: Request) -> Response:
    _, _, bulk = _parts(request)
    raw = request.query_params.get("maxRecords")
    if raw is not None and (not raw.isdigit() or int(raw) < 1):
        raise ApiError(400, f"Invalid maxRecords: {raw}; a positive integer", error_code="INVALIDPARAMETER")
    text, locator, count = bulk.results(
        request.path_params["job_id"], request.query_params.get("locator"), int(raw) if raw else None
    )
    headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(count)}
    return Response(text, 200, headers=headers, media_type="text/csv")


async def limits(request: Request) -> Response:
    """The org's limits resource: the daily API allocation (this request counted) and Bulk 2.0 query jobs."""
    state = emulator_state(request)
    cap = state.window(DAILY_POLICY).limit
    _, _, bulk = _parts(request)
    return JSONResponse(
        {
            "DailyApiRequests": {"Max": cap, "Remaining": max(0, cap - state.used(None))},
            "DailyBulkV2QueryJobs": {"Max": BULK_JOBS_PER_DAY, "Remaining": BULK_JOBS_PER_DAY - bulk.created},
        }
    )


async def versions(request: Request) -> Response:
    """The versions list (no session needed, no Sforce-Limit-Info); counted in the stats."""
    response = JSONResponse(VERSIONS)
    emulator_state(request).record(request.url.path, 200, "/services/data")
    return response


async def token(request: Request) -> Response:
    """POST /services/oauth2/token: a granted token becomes valid in the harness's state."""
    state = emulator_state(request)
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))  # x-www-form-urlencoded
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    basic = None
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
            basic = (client_id, secret)
        except (binascii.Error, UnicodeDecodeError):
            basic = ("", "")
    instance_url = f"{request.url.scheme}://{request.url.netloc}"
    status, body = state.options["grants"].grant(form, basic, instance_url)
    if status == 200:
        state.accept_token(body["access_token"])
    state.record(request.url.path, status, "/services/oauth2/token")
    return JSONResponse(body, status)


# ---------------------------------------------------------------- control routes
async def edit_record(request: Request) -> Response:
    """POST /_emulator/records/{sobject}/{id} {"fields": {...}, "user_id": "005..."} edits like a user;
    DELETE moves the record to the recycle bin."""
    org, _, _ = _parts(request)
    sobject, record_id = request.path_params["sobject"], request.path_params["record_id"]
    if request.method == "DELETE":
        return JSONResponse(org.delete(sobject, record_id))
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
        raise ApiError(
            400,
            'The body is {"fields": {<Field>: <value>}, "user_id": <optional User Id>}',
            error_code="INVALID_INPUT",
        )
    return JSONResponse(org.update(sobject, record_id, body["fields"], body.get("user_id")))


class TrailingSlash:
    """ASGI middleware: `/query/?q=` is `/query?q=` (Salesforce answers both; simple-salesforce asks `query/`),
    so one route, and one stats entry, serves each resource."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/"), "raw_path": path.rstrip("/").encode()}
        await self.app(scope, receive, send)


def routes() -> list[BaseRoute]:
    return [
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/data", versions, methods=["GET"]),
        Route(f"{BASE}/query", api(_query(False)), methods=["GET"]),
        Route(f"{BASE}/queryAll", api(_query(True)), methods=["GET"]),
        Route(BASE + "/query/{locator}", api(query_more), methods=["GET"]),
        Route(BASE + "/queryAll/{locator}", api(query_more), methods=["GET"]),
        Route(f"{BASE}/limits", api(limits), methods=["GET"]),
        Route(f"{BASE}/sobjects", api(sobjects), methods=["GET"]),
        Route(BASE + "/sobjects/{sobject}/describe", api(describe), methods=["GET"]),
        Route(f"{BASE}/jobs/query", api(create_job), methods=["POST"]),
        Route(BASE + "/jobs/query/{job_id}", api(job_info), methods=["GET"]),
        Route(BASE + "/jobs/query/{job_id}/results", api(job_results), methods=["GET"]),
        Route("/_emulator/records/{sobject}/{record_id}", control(edit_record), methods=["POST", "DELETE"]),
    ]
