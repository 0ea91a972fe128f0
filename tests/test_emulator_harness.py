"""Tests of the vendor-neutral emulator harness (emulators/common) with a toy vendor: auth checkers, faults, rate
windows, stats per route, paging helpers, records, and serving over TLS."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.common.app import api, create_app
from emulators.common.paging import check_limit, cursor_page, decode_cursor, next_url, offset_page
from emulators.common.records import RecordTable
from emulators.common.server import EmulatorServer
from emulators.common.state import EmulatorState
from emulators.common.vendor import (
    ApiError, Call, RateWindow, Vendor, added_field_fault, any_of, bearer, header_key, query_key,
)

TOKEN = "toy-token"
ITEMS = [{"id": i, "name": f"item {i}"} for i in range(1, 8)]  # ids 1..7


def _error(call: Call, exc: ApiError) -> dict:
    return {"ok": False, "error": exc.message, "code": exc.status}


TOY = Vendor(
    name="Toy",
    auth=any_of(header_key("x-key"), query_key("key")),
    error_body=_error,
    unauthorized=lambda call, reason: ApiError(401, f"token {reason}"),
    rate_limited=lambda call, policy: JSONResponse({"ok": False, "error": policy}, 429, headers={"Retry-After": "2"}),
    server_error=lambda call, status: JSONResponse({"ok": False, "error": "boom"}, status),
    rate_policies=("burst", "daily"),
    rate_headers=lambda state, policy: {"x-used": str(state.used(2.0))},
    rate_headers_everywhere=True,
    default_server_errors=(500, 503),
    faults={"extra_field": added_field_fault()},
    stats_by_route=True,
)


async def _items(request: Request) -> Response:
    limit = check_limit(request.query_params.get("limit"), 3, 5)
    page, cursor = cursor_page(ITEMS, limit, request.query_params.get("cursor"), key=lambda r: (r["id"],))
    extra = request.app.state.emulator.current_faults()["extra_field"]
    rows = [{**r, extra["name"]: extra["value"]} if extra else r for r in page]
    return JSONResponse({"ok": True, "data": rows, "next": cursor,
                         "link": next_url(request, cursor=cursor) if cursor else None})


async def _item(request: Request) -> Response:
    wanted = int(request.path_params["id"])
    return JSONResponse({"ok": True, "data": [i for i in ITEMS if i["id"] == wanted]})


class ToyEmulator(EmulatorServer):
    vendor_name = "Toy"

    def __init__(self, data_dir: Path, windows=(), **kwargs):
        super().__init__(data_dir, **kwargs)
        self.windows = windows

    def _build(self) -> tuple[Starlette, EmulatorState]:
        state = EmulatorState(TOY, [TOKEN], windows=self.windows)
        return create_app(state, [Route("/items", api(_items)), Route("/items/{id}", api(_item))]), state


def test_auth_faults_and_route_stats(tmp_path):
    with ToyEmulator(tmp_path).start() as toy, httpx.Client(base_url=toy.base_url) as client:
        assert client.get("/items").json() == {"ok": False, "error": "token missing", "code": 401}
        assert client.get("/items", headers={"x-key": "nope"}).json()["error"] == "token invalid"
        first = client.get("/items", params={"key": TOKEN})
        assert [r["id"] for r in first.json()["data"]] == [1, 2, 3]
        assert first.headers["x-used"] == "1"  # the vendor's rate headers, on every answer
        toy.set_faults(expired_token=True)
        assert client.get("/items", headers={"x-key": TOKEN}).json()["error"] == "token expired"
        toy._require_state().accept_token("fresh")  # a refreshed token works while the old one stays expired
        assert client.get("/items", headers={"x-key": "fresh"}).status_code == 200
        toy.set_faults(expired_token=False, server_errors=3, rate_limit_burst=1, extra_field={"name": "x", "value": 1})
        assert [client.get("/items/2", headers={"x-key": TOKEN}).status_code for _ in range(5)] == [
            500, 503, 500, 429, 200]
        assert client.get("/items", headers={"x-key": TOKEN}).json()["data"][0] == {"id": 1, "name": "item 1", "x": 1}
        with pytest.raises(ValueError, match=r"^rate_limit_policy must be one of \['burst', 'daily'\]$"):
            toy.set_faults(rate_limit_policy="hourly")
        with pytest.raises(ValueError, match=r"^server_error_status must be null \(alternate 500/503\), 500, 502, "
                                             r"503 or 504$"):
            toy.set_faults(server_error_status=501)
        refused = httpx.post(f"{toy.base_url}/_emulator/faults", json={"bogus": 1})
        assert refused.json() == {"ok": False, "code": 400, "error": "Unknown fault keys: ['bogus']; known: "
                                  "['expired_token', 'extra_field', 'rate_limit_burst', 'rate_limit_policy', "
                                  "'server_error_status', 'server_errors', 'slow_seconds']"}
        # 2 missing/invalid + 1 ok + 1 expired + 1 fresh + 5 on /items/2 + 1 ok = 11 API requests
        stats = toy.stats()
        assert stats["total"] == 11
        assert stats["routes"] == {"/items": {"401": 3, "200": 3}, "/items/{id}": {"500": 2, "503": 1, "429": 1,
                                                                                     "200": 1}}
        assert stats["paths"]["/items/2"] == {"500": 2, "503": 1, "429": 1, "200": 1}


def test_rate_window_and_tls(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(tmp_path / "server.pem")
    ca.cert_pem.write_to_path(tmp_path / "ca.pem")
    toy = ToyEmulator(tmp_path, windows=(RateWindow("burst", 2.0, 3),),
                      ssl_certfile=tmp_path / "server.pem", ssl_keyfile=tmp_path / "server.pem")
    trusted = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    with toy.start(), httpx.Client(base_url=toy.base_url, verify=trusted) as client:
        assert toy.base_url.startswith("https://127.0.0.1:")
        answers = [client.get("/items/1", headers={"x-key": TOKEN}) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]  # 3 in a rolling 2 s
        assert answers[3].json() == {"ok": False, "error": "burst"} and answers[3].headers["Retry-After"] == "2"
        assert [a.headers["x-used"] for a in answers] == ["1", "2", "3", "3"]


def test_paging_helpers():
    # 7 items, 3 a page: [1, 2, 3], [4, 5, 6], [7] and no cursor after the last page
    pages, cursor = [], None
    while True:
        page, cursor = cursor_page(ITEMS, 3, cursor, key=lambda r: (r["id"],))
        pages.append([r["id"] for r in page])
        if cursor is None:
            break
        assert decode_cursor(cursor) == [page[-1]["id"]]
    assert pages == [[1, 2, 3], [4, 5, 6], [7]]
    newest_first = sorted(ITEMS, key=lambda r: -r["id"])
    page, cursor = cursor_page(newest_first, 5, None, key=lambda r: (r["id"],), descending=True)
    assert [r["id"] for r in page] == [7, 6, 5, 4, 3]
    assert [r["id"] for r in cursor_page(newest_first, 5, cursor, key=lambda r: (r["id"],), descending=True)[0]] == [2, 1]
    assert offset_page(ITEMS, 5, 0)[1] == 5 and offset_page(ITEMS, 5, 5) == (ITEMS[5:], None)
    with pytest.raises(ApiError, match="^Invalid cursor: %%%$"):
        cursor_page(ITEMS, 3, "%%%", key=lambda r: (r["id"],))
    with pytest.raises(ApiError, match=r"^limit must be between 1 and 500; got 501.$"):
        check_limit("501", 100, 500)


def test_auth_checkers():
    def request(headers: dict[str, str], query: str = "") -> Request:
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        return Request({"type": "http", "headers": raw, "query_string": query.encode()})

    assert bearer()(request({"Authorization": "Bearer  abc "})) == "abc"
    assert bearer()(request({"Authorization": "Basic abc"})) is None  # another scheme is no bearer token
    assert bearer()(request({"Authorization": "Bearer"})) is None
    assert header_key("x-api-token")(request({"X-Api-Token": "k1"})) == "k1"
    assert query_key("api_token")(request({}, "api_token=k2")) == "k2"
    either = any_of(header_key("x-api-token"), query_key("api_token"), bearer())
    assert either(request({"Authorization": "Bearer k3"}, "api_token=k2")) == "k2"  # the first checker that finds one
    assert either(request({})) is None


def test_record_table_filters_and_edits():
    table = RecordTable(
        [{"id": 1, "t": "2026-03-01T10:00:00Z", "gone": False}, {"id": 2, "t": "2026-03-02 10:00:00", "gone": True},
         {"id": 3, "t": "2026-03-03T10:00:00.000+0000", "gone": False}],
        modified="t", deleted="gone",
    )
    since = datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert [r["id"] for r in table.rows()] == [1, 3]
    assert [r["id"] for r in table.rows(deleted=True)] == [2]
    assert [r["id"] for r in table.rows(deleted=None, since=since)] == [2, 3]  # since is inclusive
    table.update(1, {"t": "2026-03-04T00:00:00Z"})
    assert [r["id"] for r in table.rows(since=since)] == [1, 3]
    assert table.latest() == datetime(2026, 3, 4, tzinfo=UTC) and table.next_key() == 4
