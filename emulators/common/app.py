"""The Starlette side of the harness: the `api()` wrapper every vendor route goes through, the `/_emulator/*`
control routes, and `create_app`.

`api(handler, group=None, guard=None)` answers, in this order: the slow fault (waits), a `server_errors` fault
(the vendor's 5xx), auth (`Vendor.unauthorized`), the route's `guard(call)` (e.g. HubSpot's scopes), the rate
limits (`Vendor.rate_limited`), then the handler; an ApiError raised by the handler becomes the vendor's error
body. It adds the vendor's rate-limit headers and request-id header and counts the answer in the stats.
Control routes: `GET /_emulator/health`, `GET|POST|DELETE /_emulator/faults`, `GET|DELETE /_emulator/stats`;
a vendor adds its own (changing records) with `control(handler)`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulators.common.state import EmulatorState
from emulators.common.vendor import ApiError, Call

Handler = Callable[[Request], Awaitable[Response]]
Guard = Callable[[Call], "Response | None"]


def emulator_state(request: Request) -> EmulatorState:
    return request.app.state.emulator


def new_call(request: Request) -> Call:
    state = emulator_state(request)
    return Call(request, state, state.correlation_id())


def error_response(call: Call, exc: ApiError, headers: dict[str, str] | None = None) -> Response:
    """The vendor's body for an ApiError, with the error's status."""
    return JSONResponse(call.state.vendor.error_body(call, exc), exc.status, headers=headers)


def api(handler: Handler, group: str | None = None, guard: Guard | None = None,
        rate_headers: bool = True) -> Handler:
    """Wraps a vendor route: faults, auth, guard, rate limits, headers and statistics (module docstring).
    `group` names the rate-limit windows the route also counts against; `rate_headers=False` leaves the vendor's
    rate headers off a route's successful answers (HubSpot's search)."""

    async def endpoint(request: Request) -> Response:
        call = new_call(request)
        state, vendor = call.state, call.state.vendor
        slow = state.current_faults()["slow_seconds"]
        if slow:
            await asyncio.sleep(slow)
        response, handled = await _answer(call, handler, group, guard)
        if vendor.rate_headers is not None and (vendor.rate_headers_everywhere or (rate_headers and handled)):
            for name, value in vendor.rate_headers(state, None).items():
                response.headers.setdefault(name, value)
        if vendor.request_id_header:
            response.headers[vendor.request_id_header] = call.request_id
        route = request.scope.get("route")
        state.record(request.url.path, response.status_code,
                     route.path if vendor.stats_by_route and route is not None else None)
        return response

    return endpoint


async def _answer(
    call: Call, handler: Handler, group: str | None, guard: Guard | None
) -> tuple[Response, bool]:
    """The answer, and whether the handler gave it (its ApiErrors included)."""
    state, vendor = call.state, call.state.vendor
    server_status = state.take_server_error()
    if server_status is not None:
        return vendor.server_error(call, server_status), False
    problem = state.auth_problem(call.request)
    if problem is not None:
        return error_response(call, vendor.unauthorized(call, problem)), False
    refused = guard(call) if guard is not None else None
    if refused is not None:
        return refused, False
    policy = state.take_rate_limit(group)
    if policy is not None:
        return vendor.rate_limited(call, policy), False
    try:
        return await handler(call.request), True
    except ApiError as exc:
        return error_response(call, exc), True


# ---------------------------------------------------------------- request helpers
async def json_body(request: Request) -> Any:
    """The request's JSON body ({} when empty); ApiError 400 naming line and column when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def int_param(raw: Any, name: str, default: int) -> int:
    """An integer query/body parameter; ApiError 400 when it is not one."""
    if raw is None or raw == "":
        return default
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ApiError(400, f"Unable to parse '{raw}' as an integer for parameter '{name}'.") from None


def multi_param(request: Request, name: str) -> list[str]:
    """A list parameter given repeated or comma-separated (`?ids=1,2&ids=3`), each value once, in order."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        for part in raw.split(","):
            part = part.strip()
            if part and part not in values:
                values.append(part)
    return values


# ---------------------------------------------------------------- /_emulator/ control routes
def control(handler: Handler) -> Handler:
    """Wraps a control route: no auth, faults or stats; an ApiError becomes the vendor's error body."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(new_call(request), exc)

    return endpoint


async def _faults(request: Request) -> Response:
    state = emulator_state(request)
    if request.method == "GET":
        return JSONResponse(state.current_faults())
    if request.method == "DELETE":
        state.reset_faults()
        return JSONResponse(state.current_faults())
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "The faults body must be a JSON object.")
    return JSONResponse(state.set_faults(body))


async def _stats(request: Request) -> Response:
    state = emulator_state(request)
    if request.method == "DELETE":
        state.reset_stats()
    return JSONResponse(state.stats_snapshot())


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def control_routes() -> list[BaseRoute]:
    return [
        Route("/_emulator/health", control(_health), methods=["GET"]),
        Route("/_emulator/faults", control(_faults), methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/stats", control(_stats), methods=["GET", "DELETE"]),
    ]


def create_app(state: EmulatorState, routes: Iterable[BaseRoute]) -> Starlette:
    """The vendor's routes behind the harness's control routes; handlers reach the state as
    `request.app.state.emulator` (or `emulator_state(request)`)."""
    app = Starlette(routes=[*control_routes(), *routes])
    app.state.emulator = state
    return app
