"""HubSpot at night: k changed deals cost search pages + batch reads + association batches, with the rows of one GET
per deal; the client-side limiter; a missing scope in one line."""
from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from requests import Response

from emulators.hubspot import HubSpotEmulator
from ingestion.common.reconcile import Reconciliation
from ingestion.hubspot import ENTITY_TABLES, explain, hubspot_source
from ingestion.hubspot.limits import Limiter, Window
from ingestion.pipeline import LoadSummary, make_pipeline, run_source
from support.warehouse import query
from test_hubspot_source import quick_retries  # noqa: F401 - autouse here too: no waiting between retries

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
TOKEN = "emulator-token"
EXTRA_DEALS = 300  # deals 1000..1299 added to the 12 of the fixtures (10 live, 2 archived)
CHANGED = 250  # deals 1000..1249 move a stage before the night
TABLES = ["deals", "deal_stage_history", "deal_associations", "contacts", "contact_lifecycle_history",
          "contact_associations", "companies", "owners", "owners__teams", "pipelines", "pipeline_stages"]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixtures plus 300 live deals, each with 2 stage changes, 1 company and 1 or 2 contacts, all modified
    before deal 150 (2024-03-15T11:11), which keeps the newest modified time of the seed."""
    folder = tmp_path_factory.mktemp("hubspot_night_seed")
    for path in FIXTURES.iterdir():
        shutil.copy(path, folder / path.name)
    companies, contacts = ["3", "8", "12", "25"], ["1", "2", "3", "4", "5"]
    start = datetime(2024, 3, 2, tzinfo=timezone.utc)
    with (folder / "deals.jsonl").open("a", encoding="utf-8") as handle:
        for n in range(EXTRA_DEALS):
            created, moved = _iso(start + timedelta(minutes=n)), _iso(start + timedelta(minutes=n, seconds=30))
            deal = {
                "id": str(1000 + n),
                "properties": {"dealname": f"Deal {n}", "pipeline": "default", "dealstage": "qualifiedtobuy",
                               "amount": str(100 * n), "createdate": created, "hs_lastmodifieddate": moved,
                               "hubspot_owner_id": "101"},
                "propertiesWithHistory": {"dealstage": [
                    {"value": "qualifiedtobuy", "timestamp": moved, "sourceType": "CRM_UI"},
                    {"value": "appointmentscheduled", "timestamp": created, "sourceType": "CRM_UI"}]},
                "createdAt": created, "updatedAt": moved, "archived": False,
                "associations": {"companies": [companies[n % 4]], "contacts": contacts[: 1 + n % 2]},
            }
            handle.write(json.dumps(deal) + "\n")
    return folder


def load(emulator: HubSpotEmulator, folder: Path, **options: Any) -> LoadSummary:
    recon = Reconciliation("hubspot")
    pipeline = make_pipeline("hubspot", warehouse=folder / "w.duckdb", pipelines_dir=folder / "pl")
    options = {"base_url": emulator.base_url, "api_token": TOKEN, "page_size": 50, **options}
    return run_source("hubspot", hubspot_source(reconciliation=recon, **options), recon, ENTITY_TABLES, pipeline)


def rows(folder: Path, table: str) -> list[tuple]:
    dlt_columns = "_dlt_id, _dlt_parent_id, _dlt_root_id" if "__" in table else "_dlt_id, _dlt_load_id"
    return query(folder / "w.duckdb", f"select * exclude ({dlt_columns}) from raw_hubspot.{table} order by all")


def test_a_night_with_k_changed_deals_costs_batches_and_loads_what_one_get_per_deal_loads(
    seed: Path, tmp_path: Path
) -> None:
    batched, per_deal = tmp_path / "batched", tmp_path / "per_deal"
    with HubSpotEmulator(seed, token=TOKEN) as emulator:
        load(emulator, batched)
        load(emulator, per_deal, batch_reads=False)
        for n in range(CHANGED):
            emulator.update_object("deals", str(1000 + n), {"dealstage": "presentationscheduled"})

        emulator.reset_stats()
        night = load(emulator, batched)
        batch_stats = emulator.stats()
        emulator.reset_stats()
        night_per_deal = load(emulator, per_deal, batch_reads=False)
        per_deal_stats = emulator.stats()

    # Hand count of the batched night (k = 250 changed of 310 live deals):
    # - deals search: 251 results (the 250 + deal 150 at the saved cursor, searched with GTE), 200 a page -> 2;
    #   dlt drops deal 150 (loaded at that cursor), so page 1 holds 199 ids and page 2 holds 51
    # - batch reads: ceil(199/100) + ceil(51/100) = 2 + 1 = 3
    # - v4 association batches: one per page and associated type (companies, contacts): 2 x 2 = 4
    # - contacts and companies: 1 search each, nothing new
    # - archived sweep, ids only, 100 a page: deals (2 archived), contacts, companies: 1 each; nothing new to read
    # - owners live + archived: 2; deal pipelines: 1
    # total 2 + 3 + 4 + 2 + 3 + 2 + 1 = 17
    assert batch_stats["paths"] == {
        "/crm/v3/objects/deals/search": {"200": 2},
        "/crm/v3/objects/deals/batch/read": {"200": 3},
        "/crm/v4/associations/deals/companies/batch/read": {"200": 2},
        "/crm/v4/associations/deals/contacts/batch/read": {"200": 2},
        "/crm/v3/objects/contacts/search": {"200": 1},
        "/crm/v3/objects/companies/search": {"200": 1},
        "/crm/v3/objects/deals": {"200": 1},
        "/crm/v3/objects/contacts": {"200": 1},
        "/crm/v3/objects/companies": {"200": 1},
        "/crm/v3/owners": {"200": 2},
        "/crm/v3/pipelines/deals": {"200": 1},
    }
    assert batch_stats["total"] == 17
    # one GET per changed deal instead of 3 + 4: 2 + 250 + 2 + 3 + 2 + 1 = 260
    assert per_deal_stats["total"] == 260
    assert sum(c["200"] for p, c in per_deal_stats["paths"].items() if p.split("/")[-1].isdigit()) == CHANGED

    for summary in (night, night_per_deal):
        assert {t.input_name: (t.rows_read, t.rows_loaded) for t in summary.tallies}["hubspot/deals"] == (250, 250)
        # each changed deal: its row, its 3 stage changes (2 seeded, merged again, + the new one), its 2 or 3
        # associations (125 x 2 + 125 x 3)
        assert (summary.table_rows["deals"], summary.table_rows["deal_stage_history"]) == (250, 750)
        assert summary.table_rows["deal_associations"] == 625
    seeded_changes = sum(len(json.loads(line)["propertiesWithHistory"]["dealstage"])
                         for line in (seed / "deals.jsonl").read_text().splitlines() if line.strip())
    assert query(batched / "w.duckdb", "select count(*) from raw_hubspot.deal_stage_history") == [
        (seeded_changes + CHANGED,)]
    for table in TABLES:
        assert rows(batched, table) == rows(per_deal, table), table
    assert query(batched / "w.duckdb", "select count(*) from raw_hubspot.deals where id::int >= 1000 and dealstage "
                 "= 'presentationscheduled' and hs_deal_stage_probability = 0.6 and not hs_is_closed_won") == [(250,)]


def test_a_few_changed_deals_are_read_with_one_get_each(seed: Path, tmp_path: Path) -> None:
    """Two changed deals: 2 GETs cost less than 1 batch read + 2 association batches."""
    with HubSpotEmulator(seed, token=TOKEN) as emulator:
        load(emulator, tmp_path)
        for deal_id in ("1000", "1001"):
            emulator.update_object("deals", deal_id, {"amount": "1"})
        emulator.archive_object("deals", "1002")
        emulator.reset_stats()
        summary = load(emulator, tmp_path)
        paths = emulator.stats()["paths"]
    assert {p: c for p, c in paths.items() if p.split("/")[-1].isdigit()} == {
        "/crm/v3/objects/deals/1000": {"200": 1},
        "/crm/v3/objects/deals/1001": {"200": 1},
        "/crm/v3/objects/deals/1002": {"200": 1},  # newly archived, found by the ids-only sweep
    }
    assert {t.input_name: (t.rows_read, t.rows_loaded) for t in summary.tallies}["hubspot/deals"] == (3, 3)
    assert query(tmp_path / "w.duckdb", "select id, archived, dealname from raw_hubspot.deals where id in "
                 "('1000', '1002') order by id") == [("1000", False, "Deal 0"), ("1002", True, "Deal 2")]


def test_search_pages_fetched_ahead_reach_the_batch_reader_one_by_one(
    seed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search is fetched ahead (ingestion/common/prefetch.py), but its pages reach the BatchReader one by one:
    with both pages of changed deals waiting before the first is taken, the night still costs 3 batch reads and
    2 x 2 association batches (joined, 250 ids would cost 3 + 2)."""
    import ingestion.hubspot.source as source_module

    waited: list[int] = []
    real_prefetch = source_module.prefetch

    def prefetch_held_back(resource: Any, **options: Any) -> Any:
        def on_start(fetcher: Any) -> None:
            if resource.name != "deals_api":
                return
            get = fetcher._queue.get

            def get_once_both_pages_wait(*args: Any, **kwargs: Any) -> Any:
                deadline = time.monotonic() + 10
                while fetcher._queue.qsize() < 2 and time.monotonic() < deadline:
                    time.sleep(0.01)
                waited.append(fetcher.fetched)
                fetcher._queue.get = get
                return get(*args, **kwargs)

            fetcher._queue.get = get_once_both_pages_wait

        return real_prefetch(resource, on_start=on_start, **options)

    with HubSpotEmulator(seed, token=TOKEN) as emulator:
        load(emulator, tmp_path)
        for n in range(CHANGED):
            emulator.update_object("deals", str(1000 + n), {"dealstage": "presentationscheduled"})
        emulator.reset_stats()
        monkeypatch.setattr(source_module, "prefetch", prefetch_held_back)
        night = load(emulator, tmp_path)
        paths = emulator.stats()["paths"]
    assert waited == [2]  # both search pages were in before the first was taken
    assert {p: c["200"] for p, c in paths.items() if "batch" in p or "search" in p} == {
        "/crm/v3/objects/deals/search": 2,
        "/crm/v3/objects/deals/batch/read": 3,  # ceil(199 / 100) + ceil(51 / 100)
        "/crm/v4/associations/deals/companies/batch/read": 2,
        "/crm/v4/associations/deals/contacts/batch/read": 2,
        "/crm/v3/objects/contacts/search": 1,
        "/crm/v3/objects/companies/search": 1,
    }
    assert {t.input_name: (t.rows_read, t.rows_loaded) for t in night.tallies}["hubspot/deals"] == (250, 250)


# ---------------------------------------------------------------- the limiter
class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_window_holds_requests_until_the_oldest_answer_is_seconds_old() -> None:
    clock = FakeClock()
    window = Window(3, 10.0, clock=clock, sleep=clock.sleep)
    for moment in (0.0, 1.0, 2.0):  # 3 answers at t = 0, 1, 2
        clock.now = moment
        window.acquire()
        window.release()
    clock.now = 4.0
    window.acquire()  # the 4th waits until the answer of t = 0 is 10 s old: t = 10
    assert (clock.now, window.waited) == (10.0, 6.0)
    window.release()
    window.acquire()  # the 5th until the answer of t = 1 is: t = 11
    assert clock.now == 11.0


def test_the_limiter_adopts_the_accounts_limit_and_limits_search_separately() -> None:
    limiter = Limiter(190, 10, 5)
    answer = Response()
    answer.headers.update({"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})
    limiter.adopt(answer)  # a free account says 100 per 10 s
    assert (limiter.requests.limit, limiter.requests.seconds) == (100, 10.0)
    search = type("R", (), {"method": "POST", "url": "https://api.hubapi.com/crm/v3/objects/deals/search"})()
    listing = type("R", (), {"method": "GET", "url": "https://api.hubapi.com/crm/v3/objects/deals"})()
    assert [len(limiter.windows(r)) for r in (search, listing)] == [2, 1]
    fixed = Limiter(50, 10, 0, follow_api=False)
    fixed.adopt(answer)
    assert (fixed.requests.limit, fixed.searches) == (50, None)


def test_searches_wait_for_the_limit_instead_of_meeting_429(tmp_path: Path) -> None:
    """The emulator allows 2 searches a second, the source is told the same: the night's 7 searches (5 pages of 1
    changed deal each, contacts, companies) take >= 3 s and none is answered 429."""
    with HubSpotEmulator(FIXTURES, token=TOKEN, search_rate_limit_per_second=2) as emulator:
        load(emulator, tmp_path, search_page_size=1, search_rate_limit=2)
        for deal_id in ("5", "7", "11", "20"):
            emulator.update_object("deals", deal_id, {"amount": "1"})
        emulator.reset_stats()
        started = time.monotonic()
        load(emulator, tmp_path, search_page_size=1, search_rate_limit=2)
        elapsed = time.monotonic() - started
        stats = emulator.stats()
    searches = {p: c for p, c in stats["paths"].items() if p.endswith("/search")}
    # deal 150 at the saved cursor + the 4 changed = 5 pages of 1; contacts and companies 1 each
    assert searches == {"/crm/v3/objects/deals/search": {"200": 5}, "/crm/v3/objects/contacts/search": {"200": 1},
                        "/crm/v3/objects/companies/search": {"200": 1}}
    assert "429" not in stats["statuses"]
    assert elapsed >= 3.0  # searches 3-4 wait >= 1 s after the 1st answer, 5-6 >= 2 s, 7 >= 3 s


def test_a_missing_scope_ends_in_one_line(tmp_path: Path) -> None:
    with HubSpotEmulator(FIXTURES, token=TOKEN, missing_scopes=("crm.objects.contacts.read",)) as emulator:
        with pytest.raises(PipelineStepFailed) as failure:
            load(emulator, tmp_path)
        assert emulator.stats()["statuses"].get("403") == 1  # a 403 is not retried
    assert explain(failure.value) == (
        "HubSpot refused /crm/v3/objects/contacts (403 Forbidden): give the private app the crm.objects.*.read / "
        "crm.objects.owners.read scopes (HubSpot: This app hasn't been granted all required scopes to make this "
        "call. Read more about required scopes here: https://developers.hubspot.com/scopes.)"
    )
