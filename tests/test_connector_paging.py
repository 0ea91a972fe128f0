"""The shared paging configs, rate-limit following and Retry-After handling (ingestion.common.rest, limits,
http, api_errors) against a tiny local server answering as Pipedrive documents it."""
from __future__ import annotations

import time
from typing import Any

import pytest
from connector_server import Seen, TinyServer
from dlt.sources.rest_api import rest_api_resources
from requests import Response

from ingestion.common.api_errors import explain, explained_send, response_actions
from ingestion.common.auth import header_token
from ingestion.common.http import rest_session
from ingestion.common.limits import Limiter, usage
from ingestion.common.rest import cursor_paging, offset_paging, resource_defaults
from ingestion.common.vendor import PIPEDRIVE_RATE_HEADERS, SALESFORCE_RATE_HEADERS, Vendor, vendor_message

PIPEDRIVE = Vendor(name="Pipedrive", base_url_setting="base_url under [sources.pipedrive]",
                   token_setting="api_token under [sources.pipedrive]", example_url="https://api.pipedrive.com",
                   rate_headers=PIPEDRIVE_RATE_HEADERS)
DEALS = [{"id": number, "title": f"Deal {number}"} for number in range(1, 6)]


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


def deals_page(seen: Seen) -> tuple[int, dict[str, str], Any]:
    """GET /api/v2/deals: `limit` deals from the opaque cursor on, `additional_data.next_cursor` null at the end."""
    start = int(seen.query.get("cursor", ["c0"])[0][1:])
    limit = int(seen.query["limit"][0])
    page = DEALS[start:start + limit]
    following = f"c{start + limit}" if start + limit < len(DEALS) else None
    headers = {"x-ratelimit-limit": "40", "x-ratelimit-remaining": "39", "x-ratelimit-reset": "2"}
    return 200, headers, {"success": True, "data": page, "additional_data": {"next_cursor": following}}


def _read(server: TinyServer, limiter: Limiter | None = None) -> list[int]:
    session = rest_session()
    if limiter is not None:
        limiter.install(session)
    session.send = explained_send(PIPEDRIVE, session.send)
    config = {"client": {"base_url": server.url, "auth": header_token("x-api-token", "pd"), "session": session},
              "resource_defaults": resource_defaults("data", response_actions(PIPEDRIVE),
                                                     cursor_paging("additional_data.next_cursor", "cursor")),
              "resources": [{"name": "deals", "endpoint": {"path": "api/v2/deals", "params": {"limit": 2}}}]}
    (resource,) = rest_api_resources(config)
    return [deal["id"] for deal in resource]


def test_cursor_paging_sends_the_next_cursor_back_until_it_is_null() -> None:
    limiter = Limiter(100, 10, PIPEDRIVE_RATE_HEADERS)
    with TinyServer({"GET /api/v2/deals": deals_page}) as server:
        assert _read(server, limiter) == [1, 2, 3, 4, 5]
    # 5 deals, 2 a page: 3 pages, the cursor of each answer sent with the next request
    assert [seen.query.get("cursor") for seen in server.seen] == [None, ["c2"], ["c4"]]
    assert (limiter.requests.limit, limiter.requests.seconds) == (40, 2.0)  # x-ratelimit-limit per 2 s adopted


def test_a_429_with_a_short_retry_after_is_waited_for() -> None:
    answers = iter([(429, {"Retry-After": "1"}, {"success": False, "error": "Request over limit", "errorCode": 429})])

    def limited(seen: Seen) -> tuple[int, dict[str, str], Any]:
        return next(answers, None) or deals_page(seen)

    with TinyServer({"GET /api/v2/deals": limited}) as server:
        started = time.monotonic()
        assert _read(server) == [1, 2, 3, 4, 5]
        waited = time.monotonic() - started
    assert len(server.seen) == 4  # the 429, then the 3 pages
    assert waited >= 1.0  # Retry-After: 1 honoured


def test_a_429_asking_to_wait_for_hours_stops_the_run_in_one_line() -> None:
    spent = {"success": False, "error": "daily request budget exceeded", "errorCode": 429}
    with TinyServer({"GET /api/v2/deals": lambda seen: (429, {"Retry-After": "3939"}, spent)}) as server:
        with pytest.raises(Exception) as raised:
            _read(server)
    assert explain(PIPEDRIVE, raised.value) == (
        "Pipedrive answered 429 for /api/v2/deals and asks to wait 3,939 s (Retry-After), longer than the 300 s a "
        "run waits (Pipedrive: daily request budget exceeded): run again later, or check the account's API budget")
    assert len(server.seen) == 1  # not retried


def test_vendor_messages_and_usage_headers() -> None:
    def answer(body: bytes, headers: dict[str, str] | None = None) -> Response:
        response = Response()
        response._content = body
        response.headers.update(headers or {})
        return response

    assert vendor_message(answer(b'[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]')) == (
        "INVALID_SESSION_ID: Session expired or invalid")
    assert vendor_message(answer(b'{"success":false,"error":"unauthorized access","errorCode":401}')) == (
        "unauthorized access")
    assert vendor_message(answer(b'{"status":"error","message":"This  token\\nis invalid"}')) == (
        "This token is invalid")
    assert vendor_message(answer(b"<html>")) == ""
    assert usage(SALESFORCE_RATE_HEADERS, answer(b"{}", {"Sforce-Limit-Info": "api-usage=18/5000"})) == (18, 5000)
    assert usage(SALESFORCE_RATE_HEADERS, answer(b"{}")) is None


def test_a_child_endpoint_per_deal_pages_by_offset_beside_the_cursor_default() -> None:
    """The connector-api skeleton's shape: deals by cursor (the default), then GET api/v1/deals/{id}/changelog per
    deal, paged by start/limit with more_items_in_collection (overriding the default paginator)."""
    changes = {1: ["a", "b", "c"], 2: [], 3: ["d"], 4: [], 5: ["e"]}

    def changelog(seen: Seen) -> tuple[int, dict[str, str], Any]:
        deal = int(seen.path.split("/")[4])
        start, limit = int(seen.query.get("start", ["0"])[0]), int(seen.query["limit"][0])
        items = [{"field_key": "stage_id", "new_value": value} for value in changes[deal][start:start + limit]]
        more = start + limit < len(changes[deal])
        return 200, {}, {"success": True, "data": items or None,
                         "additional_data": {"pagination": {"start": start, "limit": limit,
                                                            "more_items_in_collection": more}}}

    routes = {"GET /api/v2/deals": deals_page, **{f"GET /api/v1/deals/{n}/changelog": changelog for n in changes}}
    with TinyServer(routes) as server:
        session = rest_session()
        session.send = explained_send(PIPEDRIVE, session.send)
        config = {"client": {"base_url": server.url, "auth": header_token("x-api-token", "pd"), "session": session},
                  "resource_defaults": resource_defaults("data", response_actions(PIPEDRIVE),
                                                         cursor_paging("additional_data.next_cursor", "cursor")),
                  "resources": [
                      {"name": "deals_api", "endpoint": {"path": "api/v2/deals", "params": {"limit": 2}}},
                      {"name": "changelog_api", "include_from_parent": ["id"],
                       "endpoint": {"path": "api/v1/deals/{resources.deals_api.id}/changelog",
                                    "params": {"limit": 2},
                                    "paginator": offset_paging(
                                        2, has_more_path="additional_data.pagination.more_items_in_collection")}}]}
        resources = {r.name: r for r in rest_api_resources(config)}
        found = [(item["_deals_api_id"], item["new_value"]) for item in resources["changelog_api"]]
    assert sorted(found) == [(1, "a"), (1, "b"), (1, "c"), (3, "d"), (5, "e")]
    # 3 deal pages + changelog pages (dlt reads the children of a page as it goes, so in no fixed order): deal 1 two (3 items, 2 a page), deals 2..5 one each = 9 requests
    assert len(server.seen) == 9
