"""Tests of the Pipedrive emulator (emulators/pipedrive) on the hand-written seed in tests/fixtures/pipedrive/.

The seed: 8 deals, ids 1-8; 6 and 7 deleted; live 1 (open, updated 01-10), 2 (won, 02-03 12:00), 3 (lost, 01-20),
4 (open, 02-15), 5 (open again after a win, 02-20), 8 (won, 01-31 23:59:59); the newest timestamp in the
account is deal 6's update, 2026-02-21T11:00:00Z, so the first edit happens at 11:00:01.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from emulators.pipedrive import PipedriveEmulator

FIXTURES = Path(__file__).parent / "fixtures" / "pipedrive"
TOKEN = "emulator-token"
AUTH = {"x-api-token": TOKEN}
PARTNER = "5f3c1a7e9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e"  # the "Partner channel" custom field


@contextmanager
def _served(**options) -> Iterator[tuple[PipedriveEmulator, httpx.Client]]:
    """An emulator on the fixture seed and a client that sends the token."""
    with PipedriveEmulator(FIXTURES, **options).start() as emulator, httpx.Client(
        base_url=emulator.base_url, headers=AUTH, timeout=10
    ) as client:
        yield emulator, client


@pytest.fixture(scope="module")
def shared():
    """A read-only emulator for the tests that change nothing."""
    with _served() as served:
        yield served


@pytest.fixture()
def fresh():
    """An emulator of its own, for tests that set faults or change deals."""
    with _served() as served:
        yield served


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [record["id"] for record in response.json()["data"]]


def _pages(client: httpx.Client, path: str, **params) -> list[list[int]]:
    """Every page's ids, following additional_data.next_cursor until it is null."""
    pages, cursor = [], None
    while True:
        response = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        pages.append(_ids(response))
        cursor = response.json()["additional_data"]["next_cursor"]
        if cursor is None:
            return pages


# ------------------------------------------------------------------ deals: paging, filters, sorting
def test_deals_page_by_cursor(shared):
    _, client = shared
    first = client.get("/api/v2/deals", params={"limit": 4})
    assert _ids(first) == [1, 2, 3, 4]
    assert first.json()["success"] is True and isinstance(first.json()["additional_data"]["next_cursor"], str)
    assert _pages(client, "/api/v2/deals", limit=4) == [[1, 2, 3, 4], [5, 8]]  # the 6 live deals
    # update_time newest first: 5 (02-20), 4 (02-15), 2 (02-03), 8 (01-31), 3 (01-20), 1 (01-10)
    assert _pages(client, "/api/v2/deals", limit=2, sort_by="update_time", sort_direction="desc") == [
        [5, 4], [2, 8], [3, 1]]
    assert _pages(client, "/api/v2/deals", limit=500) == [[1, 2, 3, 4, 5, 8]]
    deal = client.get("/api/v2/deals", params={"ids": "2"}).json()["data"][0]
    assert (deal["status"], deal["currency"], deal["value"], deal["custom_fields"]) == (
        "won", "EUR", 1500, {PARTNER: "Reseller"})


def test_updated_since_and_until(shared):
    _, client = shared
    # since is inclusive: deal 2 was updated exactly at 2026-02-03T12:00:00Z
    assert _ids(client.get("/api/v2/deals", params={"updated_since": "2026-02-03T12:00:00Z"})) == [2, 4, 5]
    assert _ids(client.get("/api/v2/deals", params={"updated_until": "2026-02-03T12:00:00Z"})) == [1, 3, 8]
    refused = client.get("/api/v2/deals", params={"updated_since": "yesterday"})
    assert refused.status_code == 400
    assert refused.json() == {"success": False, "errorCode": 400, "error": "Invalid value for parameter "
                              "'updated_since': yesterday (expected RFC 3339, e.g. 2026-03-05T14:02:11Z)"}


def test_status_filter_and_deleted_deals(shared):
    _, client = shared
    deleted = client.get("/api/v2/deals", params={"status": "deleted"})
    assert _ids(deleted) == [6, 7]
    assert [d["is_deleted"] for d in deleted.json()["data"]] == [True, True]
    assert _ids(client.get("/api/v2/deals", params={"status": "won"})) == [2, 8]
    assert _ids(client.get("/api/v2/deals", params={"status": "open,deleted"})) == [1, 4, 5, 6, 7]
    assert client.get("/api/v2/deals/6").status_code == 404
    assert client.get("/api/v2/deals", params={"status": "closed"}).json() == {
        "success": False, "errorCode": 400,
        "error": "Validation failed: status: Invalid enum value. Expected open | won | lost | deleted, received "
                 "'closed'"}


def test_limit_above_500_is_refused(shared):
    _, client = shared
    response = client.get("/api/v2/deals", params={"limit": 501})
    assert response.status_code == 400
    assert response.json() == {"success": False, "errorCode": 400,
                               "error": "Validation failed: limit: Number must be between 1 and 500, got 501"}
    assert client.get("/api/v2/deals/changelog").status_code == 400  # not a deal id
    assert client.get("/api/v2/products").json() == {"success": False, "errorCode": 404,
                                                     "error": "Unknown method GET /api/v2/products"}


# ------------------------------------------------------------------ the other entities
def test_pipelines_stages_persons_organizations_users_fields(shared):
    _, client = shared
    assert _ids(client.get("/api/v2/pipelines")) == [1, 2]
    assert _ids(client.get("/api/v2/stages")) == [1, 2, 3, 4, 5, 6]
    stages = client.get("/api/v2/stages", params={"pipeline_id": 2}).json()["data"]
    assert [(s["id"], s["order_nr"], s["deal_probability"]) for s in stages] == [(5, 1, 20), (6, 2, 70)]
    assert _pages(client, "/api/v2/persons", limit=3) == [[1, 2, 3], [4]]
    assert _ids(client.get("/api/v2/persons", params={"org_id": 3})) == [3, 4]
    assert _ids(client.get("/api/v2/organizations", params={"updated_since": "2026-01-01T00:00:00Z"})) == [3]
    users = client.get("/api/v1/users").json()
    assert set(users) == {"success", "data"} and [u["id"] for u in users["data"]] == [13052000, 13052007]
    fields = client.get("/api/v1/dealFields", params={"limit": 4}).json()
    assert [f["key"] for f in fields["data"]] == ["title", "value", "stage_id", "status"]
    assert fields["additional_data"]["pagination"] == {"start": 0, "limit": 4, "more_items_in_collection": True,
                                                       "next_start": 4}
    rest = client.get("/api/v1/dealFields", params={"limit": 4, "start": 4}).json()
    assert [f["key"] for f in rest["data"]] == ["lost_reason", PARTNER]
    assert rest["additional_data"]["pagination"]["more_items_in_collection"] is False


# ------------------------------------------------------------------ changelog
def test_changelog_newest_first_with_cursor_paging(shared):
    emulator, client = shared
    emulator.reset_stats()
    items = client.get("/api/v1/deals/3/changelog").json()
    # deal 3: 1->2 (01-08), 2->3 (01-12), then lost with reason Price at 01-20 15:30:00; newest first
    assert [(i["field_key"], i["old_value"], i["new_value"], i["time"]) for i in items["data"]] == [
        ("lost_reason", None, "Price", "2026-01-20 15:30:00"),
        ("status", "open", "lost", "2026-01-20 15:30:00"),
        ("stage_id", "2", "3", "2026-01-12 11:00:00"),
        ("stage_id", "1", "2", "2026-01-08 10:00:00"),
    ]
    assert set(items["data"][0]) == {"field_key", "old_value", "new_value", "actor_user_id", "time",
                                     "change_source", "change_source_user_agent", "is_bulk_update_flag"}
    assert items["additional_data"] == {"next_cursor": None}
    # deal 2 has 6 items (a skip 1->3, a backward move 3->2, 2->4, a value change, the win, the custom field)
    pages, cursor = [], None
    while True:
        body = client.get("/api/v1/deals/2/changelog", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        pages.append([(i["field_key"], i["new_value"]) for i in body.json()["data"]])
        cursor = body.json()["additional_data"]["next_cursor"]
        if cursor is None:
            break
    assert pages == [[(PARTNER, "Reseller"), ("status", "won")], [("value", "1500"), ("stage_id", "4")],
                     [("stage_id", "2"), ("stage_id", "3")]]
    assert client.get("/api/v1/deals/99/changelog").json() == {"success": False, "error": "Deal not found",
                                                               "errorCode": 404}
    stats = emulator.stats()
    # 1 for deal 3, 3 pages for deal 2, 1 refused for deal 99
    assert stats["routes"] == {"/api/v1/deals/{id}/changelog": {"200": 4, "404": 1}}
    assert stats["paths"]["/api/v1/deals/2/changelog"] == {"200": 3}


def test_stage_move_writes_changelog_and_bumps_update_time(fresh):
    emulator, client = fresh
    moved = emulator.update_deal(1, {"stage_id": 3}, actor_user_id=13052007)
    assert (moved["stage_id"], moved["update_time"], moved["stage_change_time"]) == (
        3, "2026-02-21T11:00:01Z", "2026-02-21T11:00:01Z")
    newest = client.get("/api/v1/deals/1/changelog").json()["data"]
    assert newest[0] == {"field_key": "stage_id", "old_value": "2", "new_value": "3", "actor_user_id": 13052007,
                         "time": "2026-02-21 11:00:01", "change_source": "api",
                         "change_source_user_agent": "funnelhouse-emulator", "is_bulk_update_flag": False}
    assert len(newest) == 2  # the seed's 1->2 and this move
    # an incremental run from the newest update_time it had seen (deal 6's, deleted) finds deal 1 only
    emulator.reset_stats()
    assert _pages(client, "/api/v2/deals", updated_since="2026-02-21T11:00:00Z") == [[1]]
    assert _ids(client.get("/api/v2/deals", params={"updated_since": "2026-02-21T11:00:00Z",
                                                    "status": "deleted"})) == [6]
    assert emulator.stats()["routes"] == {"/api/v2/deals": {"200": 2}}
    # over HTTP: a win sets won_time and close_time; deleting moves the deal to status=deleted
    won = httpx.post(f"{emulator.base_url}/_emulator/deals/4", json={"changes": {"status": "won"}}).json()
    assert (won["status"], won["won_time"], won["close_time"], won["update_time"]) == (
        "won", "2026-02-21T11:00:02Z", "2026-02-21T11:00:02Z", "2026-02-21T11:00:02Z")
    assert httpx.post(f"{emulator.base_url}/_emulator/deals/1/delete").json()["is_deleted"] is True
    assert _ids(client.get("/api/v2/deals")) == [2, 3, 4, 5, 8]
    assert _ids(client.get("/api/v2/deals", params={"status": "deleted"})) == [1, 6, 7]
    added = httpx.post(f"{emulator.base_url}/_emulator/deals", json={"title": "New", "stage_id": 1}).json()
    assert (added["id"], added["add_time"]) == (9, "2026-02-21T11:00:04Z")
    assert httpx.post(f"{emulator.base_url}/_emulator/deals/99", json={"changes": {}}).json() == {
        "success": False, "error": "Deal not found", "errorCode": 404}
    with pytest.raises(KeyError, match="Deal not found: 99"):
        emulator.delete_deal(99)


# ------------------------------------------------------------------ auth
def test_auth_header_query_bearer_and_401_bodies(fresh):
    emulator, client = fresh
    url = f"{emulator.base_url}/api/v2/pipelines"
    assert httpx.get(url, params={"api_token": TOKEN}).status_code == 200
    assert httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    invalid = {"success": False, "error": "Invalid API token", "errorCode": 401}
    for response in (httpx.get(url), httpx.get(url, headers={"x-api-token": "nope"}),
                     httpx.get(url, params={"api_token": "nope"})):
        assert (response.status_code, response.json()) == (401, invalid)
    bearer = httpx.get(url, headers={"Authorization": "Bearer nope"})
    assert bearer.json() == {"success": False, "error": "Invalid token: access token is invalid", "errorCode": 401}
    emulator.set_faults(expired_token=True)
    expired = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert (expired.status_code, expired.json()["error"]) == (401, "Invalid token: access token has expired")
    assert client.get("/api/v2/pipelines").json() == invalid
    emulator.clear_faults()
    assert client.get("/api/v2/pipelines").status_code == 200
    assert TOKEN not in repr(emulator)


# ------------------------------------------------------------------ rate limits and faults
def test_burst_limit_429_and_headers():
    with _served(burst_limit=3) as (emulator, client):
        answers = [client.get("/api/v2/stages") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
        limited = answers[3]
        assert limited.json() == {"success": False, "error": "Request over limit", "errorCode": 429}
        # seconds until the first of the 3 requests leaves the rolling 2 s window, rounded up
        assert limited.headers["Retry-After"] in ("1", "2")
        assert limited.headers["x-ratelimit-reset"] == limited.headers["Retry-After"]
        unauthorized = httpx.get(f"{emulator.base_url}/api/v2/stages")
        assert unauthorized.status_code == 401 and unauthorized.headers["x-ratelimit-limit"] == "3"
        assert emulator.stats()["statuses"] == {"200": 3, "429": 1, "401": 1}


def test_daily_budget_429():
    with _served(daily_budget=2) as (emulator, client):
        statuses = [client.get("/api/v1/users").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = client.get("/api/v1/users")
        assert limited.json() == {"success": False, "error": "daily request budget exceeded", "errorCode": 429}
        assert 1 <= int(limited.headers["Retry-After"]) <= 86_400  # until midnight UTC
        assert "x-ratelimit-limit" not in limited.headers  # no burst limit set: no burst headers


def test_burst_fault_server_errors_and_added_field(fresh):
    emulator, client = fresh
    emulator.set_faults(rate_limit_burst=2)
    assert [client.get("/api/v2/deals").status_code for _ in range(3)] == [429, 429, 200]
    emulator.set_faults(server_errors=2)
    errors = [client.get("/api/v2/deals") for _ in range(3)]
    assert [e.status_code for e in errors] == [500, 503, 200]
    assert errors[0].json() == {"success": False, "error": "Internal server error", "errorCode": 500}
    assert emulator.stats()["routes"] == {"/api/v2/deals": {"429": 2, "200": 2, "500": 1, "503": 1}}
    drift = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
    emulator.set_faults(extra_field={"name": drift, "value": "Q3"})
    deals = client.get("/api/v2/deals").json()["data"]
    assert {d["custom_fields"][drift] for d in deals} == {"Q3"}
    assert deals[1]["custom_fields"] == {PARTNER: "Reseller", drift: "Q3"}  # deal 2 keeps its own field
    assert client.get("/api/v1/dealFields").json()["data"][-1]["key"] == drift
    with pytest.raises(ValueError, match=r'^extra_field must be null or \{"name": <str>, "value": <value>\}$'):
        emulator.set_faults(extra_field="x")
    emulator.set_faults(reset=True)
    assert drift not in client.get("/api/v2/deals").json()["data"][0]["custom_fields"]


# ------------------------------------------------------------------ seed errors and the command line
def test_bad_seed_line_names_file_line_and_field(tmp_path):
    (tmp_path / "deals.jsonl").write_text('{"id": 1}\n{"id": "2"}\n')
    with pytest.raises(ValueError, match=r"deals.jsonl line 2: field 'id' must be an integer id, got '2'$"):
        PipedriveEmulator(tmp_path).start()
    (tmp_path / "deals.jsonl").write_text('{"id": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r"deals.jsonl line 2: not JSON \(Expecting value\); regenerate"):
        PipedriveEmulator(tmp_path).start()
    with pytest.raises(FileNotFoundError, match="Pipedrive emulator data directory not found"):
        PipedriveEmulator(tmp_path / "nope").start()


def test_python_dash_m_serves_until_terminated():
    env = {**os.environ, "PIPEDRIVE_EMULATOR_TOKEN": "cli-token"}
    process = subprocess.Popen([sys.executable, "-m", "emulators.pipedrive", str(FIXTURES), "--burst-limit", "50"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{base_url}/api/v2/deals", headers={"x-api-token": "cli-token"}, timeout=10)
        assert _ids(response) == [1, 2, 3, 4, 5, 8] and response.headers["x-ratelimit-limit"] == "50"
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.returncode == 0


def test_emulate_pipedrive_without_seed_fails_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from funnelhouse.cli import app

    result = CliRunner().invoke(app, ["emulate", "pipedrive", "--data", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert f"{tmp_path}: no Pipedrive seed files (deals.jsonl, deal_changelog.jsonl, ...)" in result.output


def test_dlt_rest_client_pages_deals_by_cursor(shared):
    """dlt's RESTClient as dlt's verified Pipedrive source configures it (token in the query, cursor paginator)."""
    from dlt.sources.helpers.rest_client import RESTClient
    from dlt.sources.helpers.rest_client.auth import APIKeyAuth
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    emulator, _ = shared
    emulator.reset_stats()
    client = RESTClient(
        base_url=f"{emulator.base_url}/api/v2/",
        auth=APIKeyAuth(name="api_token", api_key=TOKEN, location="query"),
        paginator=JSONResponseCursorPaginator(cursor_path="additional_data.next_cursor", cursor_param="cursor"),
        data_selector="data",
    )
    params = {"limit": 4, "sort_by": "update_time", "sort_direction": "desc",
              "updated_since": "2026-01-15T00:00:00+00:00"}
    pages = [[deal["id"] for deal in page] for page in client.paginate("deals", params=params)]
    # updated since 01-15, newest first: 5, 4, 2, 8, 3 (deal 1 was last updated 01-10)
    assert pages == [[5, 4, 2, 8], [3]]
    assert emulator.stats()["paths"] == {"/api/v2/deals": {"200": 2}}
