"""Pipedrive source against the Pipedrive emulator: a real dlt pipeline into a DuckDB file, exact counts of rows and
of requests per route (emulator stats) across pages, incremental runs, deleted deals, stage moves, custom fields,
401, 429 and quarantined values.

The seed is tests/fixtures/pipedrive/ (see tests/test_pipedrive_emulator.py): 8 deals, 6 and 7 deleted; live deals
by update_time 1 (01-10), 3 (01-20), 8 (01-31 23:59:59), 2 (02-03), 4 (02-15), 5 (02-20 10:00); deal 6 deleted at
02-21 11:00:00, so the first edit happens at 11:00:01. 9 stage moves: deal 1 1->2; deal 2 1->3 (a skip), 3->2
(backward), 2->4; deal 3 1->2, 2->3; deal 5 5->6; deal 6 1->2; deal 8 1->4 (a skip).
"""
from __future__ import annotations

import json
import re
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from connector_server import Seen, TinyServer
from emulators.pipedrive import PipedriveEmulator
from ingestion.common.reconcile import Reconciliation
from ingestion.pipedrive import ENTITY_TABLES, explain, pipedrive_source
from ingestion.pipeline import LoadSummary, make_pipeline, run_source
from support.warehouse import query as query_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "pipedrive"
TOKEN = "emulator-token"
CHANGELOG = "/api/v1/deals/{id}/changelog"
DRIFT = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"  # a custom field added mid-run (the extra_field fault)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "8")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in ("SOURCES__PIPEDRIVE__API_TOKEN", "SOURCES__PIPEDRIVE__BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def records(folder: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def stage_moves(folder: Path) -> set[tuple[int, int | None, int, str]]:
    """(deal, from, to, time) of every stage_id item of the seed's changelogs: what the emulator serves."""
    return {(item["deal_id"], int(item["old_value"]) if item["old_value"] else None, int(item["new_value"]),
             item["time"]) for item in records(folder, "deal_changelog") if item["field_key"] == "stage_id"}


def load(emulator: PipedriveEmulator, where: Path, token: str = TOKEN, **options: Any) -> LoadSummary:
    """One run of the source into where/w.duckdb (its pipeline state under where/pl), 2 records a page."""
    recon = Reconciliation("pipedrive")
    pipeline = make_pipeline("pipedrive", warehouse=where / "w.duckdb", pipelines_dir=where / "pl")
    options = {"page_size": 2, "rate_limit": 0, **options}
    source = pipedrive_source(base_url=emulator.base_url, api_token=token, reconciliation=recon, **options)
    return run_source("pipedrive", source, recon, ENTITY_TABLES, pipeline)


def tallies(summary: LoadSummary) -> dict[str, tuple[int, int, int]]:
    return {t.input_name.split("/")[1]: (t.rows_read, t.rows_loaded, t.rows_quarantined) for t in summary.tallies}


def requests(emulator: PipedriveEmulator) -> dict[str, int]:
    """Requests per route (all statuses) since the last call; the emulator's counts restart."""
    routes = emulator.stats().get("routes", {})
    emulator.reset_stats()
    return {route: sum(counts.values()) for route, counts in routes.items()}


def changelogs_read(emulator: PipedriveEmulator) -> list[int]:
    return sorted(int(path.split("/")[4]) for path in emulator.stats()["paths"] if path.endswith("/changelog"))


def query(where: Path, sql: str) -> list[tuple]:
    return query_warehouse(where / "w.duckdb", sql)


MOVES = "select deal_id, from_stage_id, to_stage_id, strftime(changed_at, '%Y-%m-%d %H:%M:%S') " \
        "from raw_pipedrive.deal_stage_changes"


# ---------------------------------------------------------------- first run, then incremental runs
def test_first_run_then_only_the_changed_deals_and_their_changelogs(tmp_path: Path) -> None:
    with PipedriveEmulator(FIXTURES, token=TOKEN).start() as emulator:
        first = load(emulator, tmp_path)
        first_requests = requests(emulator)
        assert tallies(first) == {
            "deals": (8, 8, 0), "deal_stage_changes": (9, 9, 0), "pipelines": (2, 2, 0), "stages": (6, 6, 0),
            "persons": (4, 4, 0), "organizations": (3, 3, 0), "users": (2, 2, 0)}
        # 2 a page: 6 live deals in 3 pages + the 2 deleted in 1; stages 6 -> 3 pages, persons 4 -> 2, organizations
        # 3 -> 2, pipelines 2 -> 1; users (v1) and dealFields (start/limit 500) one each; one changelog read per
        # deal (8) plus its further pages: deal 2 (6 items) 3 pages, deal 3 (4) 2, deal 5 (3) 2, the others 1 -> 12
        assert first_requests == {
            "/api/v2/deals": 4, "/api/v2/stages": 3, "/api/v2/persons": 2, "/api/v2/organizations": 2,
            "/api/v2/pipelines": 1, "/api/v1/users": 1, "/api/v1/dealFields": 1, CHANGELOG: 12}
        assert query(tmp_path, "select id, status, stage_id, is_deleted, partner_channel from raw_pipedrive.deals "
                               "order by id") == [
            (1, "open", 2, False, None), (2, "won", 4, False, "Reseller"), (3, "lost", 3, False, None),
            (4, "open", 1, False, None), (5, "open", 6, False, "Direct"), (6, "lost", 2, True, None),
            (7, "open", 1, True, None), (8, "won", 4, False, None)]
        # the stage moves are the emulator's: backward (2: 3->2) and skips (2: 1->3, 8: 1->4) included
        assert set(query(tmp_path, MOVES)) == stage_moves(FIXTURES)
        assert len(stage_moves(FIXTURES)) == 9

        # three deals change through the control routes: 1 moves 2->3, 4 is won (no stage move), 8 is deleted
        for path, body in (("/_emulator/deals/1", {"changes": {"stage_id": 3}}),
                           ("/_emulator/deals/4", {"changes": {"status": "won"}}),
                           ("/_emulator/deals/8/delete", None)):
            assert httpx.post(emulator.base_url + path, json=body).status_code == 200
        emulator.reset_stats()
        second = load(emulator, tmp_path)
        assert changelogs_read(emulator) == [1, 4, 8]
        second_requests = requests(emulator)
        # live deals updated since 02-20 10:00 (inclusive): 5 (already loaded, dropped by dlt's incremental), 1, 4
        # -> 2 pages; deleted since 02-21 11:00: 6 (already loaded), 8 -> 1 page; the changelogs of 1, 4 and 8
        # only (1 page each); persons and organizations: one empty page each
        assert second_requests == {
            "/api/v2/deals": 3, "/api/v2/stages": 3, "/api/v2/persons": 1, "/api/v2/organizations": 1,
            "/api/v2/pipelines": 1, "/api/v1/users": 1, "/api/v1/dealFields": 1, CHANGELOG: 3}
        # stage moves read again from the changed deals' changelogs: deal 1 (1->2, 2->3), deal 8 (1->4)
        assert tallies(second) == {
            "deals": (3, 3, 0), "deal_stage_changes": (3, 3, 0), "pipelines": (2, 2, 0), "stages": (6, 6, 0),
            "persons": (0, 0, 0), "organizations": (0, 0, 0), "users": (2, 2, 0)}
        assert query(tmp_path, "select id, status, stage_id, is_deleted from raw_pipedrive.deals "
                               "where id in (1, 4, 8) order by id") == [
            (1, "open", 3, False), (4, "won", 1, False), (8, "won", 4, True)]
        assert query(tmp_path, "select count(*), count(distinct id) from raw_pipedrive.deals") == [(8, 8)]
        # merged on change_id: 9 + deal 1's new move, nothing twice
        assert set(query(tmp_path, MOVES)) == stage_moves(FIXTURES) | {(1, 2, 3, "2026-02-21 11:00:01")}
        assert query(tmp_path, "select count(*) from raw_pipedrive.deal_stage_changes") == [(10,)]

        third = load(emulator, tmp_path)  # nothing changed: the deals at the cursors are listed and dropped
        assert requests(emulator)["/api/v2/deals"] == 2 and CHANGELOG not in requests(emulator)
        assert tallies(third)["deals"] == (0, 0, 0) and tallies(third)["deal_stage_changes"] == (0, 0, 0)
    details = {t.input_name: t.detail for t in second.tallies}
    assert details["pipedrive/deals"] == ("updated_since 2026-02-20T10:00:00Z; status=deleted: updated_since "
                                          "2026-02-21T11:00:00Z")
    assert {t.input_name: t.detail for t in first.tallies}["pipedrive/persons"] == "listed all (first run)"


def test_changelogs_of_moved_deals_only(tmp_path: Path) -> None:
    """changelogs="moved": only deals with a stage_change_time (later: at or after the saved cursor) are asked."""
    with PipedriveEmulator(FIXTURES, token=TOKEN).start() as emulator:
        first = load(emulator, tmp_path, changelogs="moved")
        # stage_change_time is set on 1, 2, 3, 5 and 8: 1 + 3 + 2 + 2 + 1 pages; deal 6's seed has a stage move
        # but no stage_change_time, so its move is not read: the heuristic trusts stage_change_time
        assert changelogs_read(emulator) == [1, 2, 3, 5, 8] and requests(emulator)[CHANGELOG] == 9
        assert tallies(first)["deal_stage_changes"] == (8, 8, 0)
        assert set(query(tmp_path, MOVES)) == stage_moves(FIXTURES) - {(6, 1, 2, "2026-01-20 09:00:00")}
        emulator.update_deal(1, {"stage_id": 3})  # moved: read
        emulator.update_deal(4, {"status": "won"})  # no stage move: not read
        emulator.delete_deal(8)  # its last move (01-31) is older than the cursor: not read
        second = load(emulator, tmp_path, changelogs="moved")
        assert changelogs_read(emulator) == [1] and requests(emulator)[CHANGELOG] == 1
    assert tallies(second)["deals"] == (3, 3, 0) and tallies(second)["deal_stage_changes"] == (2, 2, 0)


# ---------------------------------------------------------------- custom fields, bad values
def test_custom_fields_by_name_and_a_field_added_mid_history(tmp_path: Path) -> None:
    with PipedriveEmulator(FIXTURES, token=TOKEN).start() as emulator:
        emulator.set_faults(extra_field={"name": DRIFT, "value": "Q3"})
        summary = load(emulator, tmp_path)
    assert tallies(summary)["deals"] == (8, 8, 0)
    # "Partner channel" (dealFields) -> partner_channel; the new key, named by itself in dealFields, -> its column
    assert query(tmp_path, f"select id, partner_channel, _{DRIFT} from raw_pipedrive.deals order by id") == [
        (1, None, "Q3"), (2, "Reseller", "Q3"), (3, None, "Q3"), (4, None, "Q3"), (5, "Direct", "Q3"),
        (6, None, "Q3"), (7, None, "Q3"), (8, None, "Q3")]


def test_bad_values_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    shutil.copytree(FIXTURES, seed)
    deal = records(FIXTURES, "deals")[0]
    bad_deals = [{**deal, "id": 9, "value": "12k"}, {**deal, "id": 10, "status": "closed"}]
    bad_move = {"deal_id": 10, "field_key": "stage_id", "old_value": "1", "new_value": "two", "actor_user_id": None,
                "time": "2026-01-04 09:00:00", "change_source": "app", "change_source_user_agent": None,
                "is_bulk_update_flag": False}
    with (seed / "deals.jsonl").open("a") as deals, (seed / "deal_changelog.jsonl").open("a") as changelog:
        deals.writelines(json.dumps(d) + "\n" for d in bad_deals)
        changelog.write(json.dumps(bad_move) + "\n")
    with PipedriveEmulator(seed, token=TOKEN).start() as emulator:
        summary = load(emulator, tmp_path / "run")
    # 10 deals read: 9 and 10 quarantined; 10 stage moves read: deal 10's "two" quarantined
    assert tallies(summary)["deals"] == (10, 8, 2)
    assert tallies(summary)["deal_stage_changes"] == (10, 9, 1)
    assert query(tmp_path / "run", "select input_name, row_number, field, reason from raw_pipedrive.quarantine "
                                   "order by input_name, row_number") == [
        ("pipedrive/deal_stage_changes", 10, "new_value", "new_value is not a number: 'two'; correct the value in "
                                                          "Pipedrive"),
        ("pipedrive/deals", 9, "value", "value is not a number: '12k'; correct the value in Pipedrive"),
        ("pipedrive/deals", 10, "status", "deal status 'closed' is not open, won or lost; correct the deal in "
                                          "Pipedrive")]


# ---------------------------------------------------------------- 401, rate limits
def test_a_rejected_token_is_one_line(tmp_path: Path) -> None:
    with PipedriveEmulator(FIXTURES, token=TOKEN).start() as emulator:
        with pytest.raises(Exception) as raised:
            load(emulator, tmp_path, token="wrong-token")
        statuses = emulator.stats()["statuses"]
    assert explain(raised.value) == (
        "Pipedrive rejected the API token (401 Unauthorized): set api_token under [sources.pipedrive] in "
        ".dlt/secrets.toml or FUNNELHOUSE_PIPEDRIVE_TOKEN")
    assert statuses == {"401": 1}  # the first request; nothing retried


def test_an_oauth_access_token_goes_as_bearer(tmp_path: Path) -> None:
    def refuse(seen: Seen) -> tuple[int, dict[str, str], Any]:
        return 401, {}, {"success": False, "error": "Invalid token: access token is invalid", "errorCode": 401}

    routes = {f"GET {path}": refuse for path in ("/api/v1/dealFields", "/api/v2/deals", "/api/v2/pipelines",
                                                    "/api/v2/stages", "/api/v2/persons", "/api/v2/organizations",
                                                    "/api/v1/users")}
    sent = {}  # the headers of the first request: the token as x-api-token, or as an OAuth bearer
    for oauth in (False, True):
        with TinyServer(routes) as server, pytest.raises(Exception):
            recon = Reconciliation("pipedrive")
            pipeline = make_pipeline("pipedrive", warehouse=tmp_path / f"{oauth}.duckdb",
                                     pipelines_dir=tmp_path / "pl")
            source = pipedrive_source(base_url=server.url, api_token="t0k3n", reconciliation=recon, rate_limit=0,
                                      oauth=oauth)
            run_source("pipedrive", source, recon, ENTITY_TABLES, pipeline)
        headers = {name.lower(): value for name, value in server.seen[0].headers.items()}
        sent[oauth] = (headers.get("authorization"), headers.get("x-api-token"))
    assert sent == {False: (None, "t0k3n"), True: ("Bearer t0k3n", None)}
    with PipedriveEmulator(FIXTURES, token=TOKEN).start() as emulator:  # the emulator takes either, as Pipedrive
        assert tallies(load(emulator, tmp_path, oauth=True))["deals"] == (8, 8, 0)


def test_rate_limits_followed_and_429_honoured(tmp_path: Path) -> None:
    # the emulator allows 15 requests per rolling 2 s and says so in x-ratelimit-limit; the source starts at
    # 1000 and adopts 15 from the first answer: the 26 requests of a first run (4 + 3 + 2 + 2 + 1 + 1 + 1 + 12,
    # see above) meet no 429
    with PipedriveEmulator(FIXTURES, token=TOKEN, burst_limit=15).start() as emulator:
        started = time.monotonic()
        followed = load(emulator, tmp_path / "followed", rate_limit=1000)
        took = time.monotonic() - started
        assert emulator.stats()["statuses"] == {"200": 26}
    assert took >= 2.0  # 26 requests at 15 per 2 s: the 16th waits for the first to leave the window
    assert tallies(followed)["deals"] == (8, 8, 0)

    # with the same limit on, three 429s forced by the emulator (Retry-After: at least 1 s) are waited for and
    # retried; the limiter keeps the other requests from meeting one
    with PipedriveEmulator(FIXTURES, token=TOKEN, burst_limit=15).start() as emulator:
        emulator.set_faults(rate_limit_burst=3)
        started = time.monotonic()
        limited = load(emulator, tmp_path / "limited", rate_limit=1000)
        took = time.monotonic() - started
        assert emulator.stats()["statuses"] == {"429": 3, "200": 26}
    assert took >= 3.0
    assert tallies(limited) == tallies(followed)


# ---------------------------------------------------------------- a generated account
def test_a_generated_account_loads_whole_with_the_emulators_stage_moves(tmp_path: Path) -> None:
    from funnelhouse.generate import generate

    generate(tmp_path / "inputs", seed=42, scale=1)  # a European team's account: 120 deals
    seed = tmp_path / "inputs" / "pipedrive"
    deals, changelog = records(seed, "deals"), records(seed, "deal_changelog")
    order = {stage["id"]: stage["order_nr"] for stage in records(seed, "stages")}
    moves = stage_moves(seed)
    # the walks hold backward moves, skipped stages and reopened deals
    assert any(old and order[new] < order[old] for _, old, new, _ in moves)
    assert any(old and order[new] > order[old] + 1 for _, old, new, _ in moves)
    assert any(item["field_key"] == "status" and item["new_value"] == "open" for item in changelog)
    with PipedriveEmulator(seed, token=TOKEN).start() as emulator:
        summary = load(emulator, tmp_path, page_size=50)
        sent = requests(emulator)
    counts = {name: len(records(seed, name)) for name in ("pipelines", "stages", "persons", "organizations", "users")}
    assert tallies(summary) == {"deals": (len(deals),) * 2 + (0,), "deal_stage_changes": (len(moves),) * 2 + (0,),
                                **{name: (n, n, 0) for name, n in counts.items()}}
    pages = lambda n: max(1, -(-n // 50))  # noqa: E731 - a listing of n records, 50 a page (an empty one: 1)
    per_deal = {deal["id"]: 0 for deal in deals}
    for item in changelog:
        per_deal[item["deal_id"]] += 1
    deleted = sum(deal["is_deleted"] for deal in deals)
    assert sent == {
        "/api/v2/deals": pages(len(deals) - deleted) + pages(deleted), CHANGELOG: sum(map(pages, per_deal.values())),
        **{f"/api/v2/{name}": pages(counts[name]) for name in ("pipelines", "stages", "persons", "organizations")},
        "/api/v1/users": 1, "/api/v1/dealFields": 1}
    assert set(query(tmp_path, MOVES)) == moves
    assert query(tmp_path, "select count(*) filter (where is_deleted) from raw_pipedrive.deals") == [(deleted,)]
    partner = {d["id"]: v for d in deals for k, v in d["custom_fields"].items() if v is not None}
    assert len(partner) == 26  # "Partner channel" is set on 26 of the 120 deals (added mid-history)
    assert dict(query(tmp_path, "select id, partner_channel from raw_pipedrive.deals "
                                "where partner_channel is not null")) == partner


def test_a_spent_daily_budget_stops_the_run_in_one_line(tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)
    if (now.replace(hour=23, minute=50, second=0) - now).total_seconds() < 0:
        pytest.skip("the emulator's budget resets at midnight UTC: its Retry-After is too short to test now")
    with PipedriveEmulator(FIXTURES, token=TOKEN, daily_budget=0).start() as emulator:
        with pytest.raises(Exception) as raised:
            load(emulator, tmp_path)
        statuses = emulator.stats()["statuses"]
    # Retry-After: the seconds until midnight UTC, more than a run waits: not retried, said in one line
    assert re.fullmatch(
        r"Pipedrive answered 429 for /api/v2/deals and asks to wait [\d,]+ s \(Retry-After\), longer than the 300 s "
        r"a run waits \(Pipedrive: daily request budget exceeded\): run again later, or check the account's API "
        r"budget", explain(raised.value) or ""), explain(raised.value)
    assert statuses == {"429": 1}
