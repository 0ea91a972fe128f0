"""The HubSpot full extract with pages fetched ahead (ingestion/common/prefetch.py) and shaped into Arrow tables
(ingestion/common/arrow_pages.py): the fetch of the next page starts before a page is shaped, the requests of a full
load stay the same, history and companies reach dlt as Arrow, the rows stay those of the row-by-row route."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import ingestion.hubspot.source as hubspot_source_module
from emulators.hubspot import HubSpotEmulator
from ingestion.common.arrow_pages import arrow_schema, page_table
from ingestion.common.prefetch import Prefetcher
from ingestion.common.reconcile import Reconciliation
from ingestion.hubspot import ENTITY_TABLES, hubspot_source
from ingestion.hubspot.limits import Limiter
from ingestion.hubspot.rows import OWNER_COLUMNS, history_columns, history_table, object_history
from ingestion.hubspot.settings import DEALS
from ingestion.pipeline import make_pipeline, run_source
from support.warehouse import query as query_warehouse
from test_hubspot_source import FIXTURES, OWNERS, TOKEN, history, ids, objects, quick_retries  # noqa: F401 (autouse fixture)

WAIT = 10.0  # seconds a test waits for the other thread before it fails (never reached when the code is right)


# ---------------------------------------------------------------- prefetch, on a plain generator
def test_the_next_page_is_fetched_while_a_page_is_shaped() -> None:
    started: list[int] = []
    second_started = threading.Event()

    def pages() -> Any:
        for k in range(1, 5):
            started.append(k)
            if k == 2:
                second_started.set()
            yield [k]

    shaped = []
    fetcher = Prefetcher(pages(), depth=2, coalesce=False)
    for page in fetcher:
        if page == [1]:
            # shaping page 1 waits for the fetch of page 2: without a thread fetching ahead it would never start
            assert second_started.wait(WAIT)
        shaped.append(page)
    assert shaped == [[1], [2], [3], [4]]
    assert (fetcher.fetched, fetcher.handed, fetcher.batches) == (4, 4, 4)


def test_pages_waiting_are_handed_over_as_one_batch_and_a_fetch_error_follows_them() -> None:
    all_fetched = threading.Event()

    def pages() -> Any:
        yield [1, 2]
        yield [3]
        yield [4, 5]
        all_fetched.set()
        raise RuntimeError("page 4 failed")

    fetcher = Prefetcher(pages(), depth=8)
    got = []
    with pytest.raises(RuntimeError, match="page 4 failed"):
        for page in fetcher:
            assert all_fetched.wait(WAIT)
            time.sleep(0.05)  # the thread puts the failure behind the three pages
            got.append(page)
    # page 1 alone (taken before the others arrived, or with them), then the rest in one batch, then the error
    assert [x for page in got for x in page] == [1, 2, 3, 4, 5]
    assert fetcher.fetched == fetcher.handed == 3
    assert fetcher.batches == len(got) <= 2


def test_closing_the_consumer_stops_the_fetching_thread() -> None:
    fetched = []

    def pages() -> Any:
        for k in range(1000):
            fetched.append(k)
            yield [k]

    fetcher = Prefetcher(pages(), depth=3, coalesce=False)
    iterator = iter(fetcher)
    assert next(iterator) == [0]
    iterator.close()
    assert not fetcher._thread.is_alive()
    # at most the queue (3) + the page handed (1) + the one the thread held when told to stop (1)
    assert len(fetched) <= 5


# ---------------------------------------------------------------- arrow pages
def test_a_page_becomes_a_typed_table_unless_a_row_does_not_fit() -> None:
    schema = arrow_schema(history_columns(DEALS))
    at = datetime(2024, 3, 5, 10, tzinfo=timezone.utc)
    row = {"deal_id": "7", "stage": "won", "changed_at": at, "source_type": None, "source_id": None,
           "updated_by_user_id": 12}
    table = page_table([row, {**row, "stage": "lost"}], schema)
    assert isinstance(table, pa.Table)
    assert table.schema == schema
    assert table.column("stage").to_pylist() == ["won", "lost"]
    assert str(table.schema.field("changed_at").type) == "timestamp[us, tz=UTC]"
    # a key the table does not declare, a null where the column is required, a value the type cannot hold: rows
    for bad in ({**row, "extra": "x"}, {**row, "stage": None}, {**row, "updated_by_user_id": "twelve"}):
        assert page_table([row, bad], schema) == [row, bad]
    owners = arrow_schema(OWNER_COLUMNS)
    owner = {"id": "1", "archived": False, "teams": []}
    assert page_table([owner], owners, ("teams",)).column("id").to_pylist() == ["1"]  # empty list: left out
    with_team = {**owner, "teams": [{"team_id": "t"}]}
    assert page_table([owner, with_team], owners, ("teams",)) == [owner, with_team]  # dlt unnests it
    amounts = arrow_schema({"amount": {"data_type": "decimal", "nullable": True}})
    assert page_table([{"amount": Decimal("1.5")}], amounts).column("amount").to_pylist() == [Decimal("1.500000000")]
    assert str(amounts.field("amount").type) == "decimal128(38, 9)"


# ---------------------------------------------------------------- the source on the emulator
def load(emulator: HubSpotEmulator, folder: Path) -> tuple[Any, Any]:
    recon = Reconciliation("hubspot")
    pipeline = make_pipeline("hubspot", warehouse=folder / "w.duckdb", pipelines_dir=folder / "pl")
    source = hubspot_source(base_url=emulator.base_url, api_token=TOKEN, reconciliation=recon, page_size=2)
    return run_source("hubspot", source, recon, ENTITY_TABLES, pipeline), pipeline


def test_a_full_load_fetches_ahead_with_the_same_requests_and_loads_history_as_arrow(tmp_path: Path,
                                                                                    monkeypatch: Any) -> None:
    answered: list[int] = []
    sent: list[str] = []  # the URL of every request the limiter let through, once answered
    shape = hubspot_source_module.object_row

    class RecordingLimiter(Limiter):
        def wrap(self, send: Any) -> Any:
            limited = super().wrap(send)

            def recorded(request: Any, **kwargs: Any) -> Any:
                response = limited(request, **kwargs)
                sent.append(request.url)
                return response

            return recorded

    def deal_pages() -> int:  # pages of live deals answered so far
        return sum(1 for url in list(sent) if "/crm/v3/objects/deals?" in url and "archived=false" in url)

    live_pages = -(-len(ids("deals", archived=False)) // 2)  # 10 live deals, 2 a page: 5 pages
    assert live_pages == 5
    monkeypatch.setattr(hubspot_source_module, "Limiter", RecordingLimiter)
    with HubSpotEmulator(FIXTURES, token=TOKEN) as emulator:
        emulator.set_faults(slow_seconds=0.02)

        def shape_waiting(spec: Any, obj: Any) -> Any:
            if spec.object_type == "deals" and not answered:
                # the first deal is shaped only once every page of live deals has been answered: the listing
                # fetches on while dlt's thread waits here (fetching only between two pages, it would wait for ever)
                deadline = time.monotonic() + WAIT
                while deal_pages() < live_pages and time.monotonic() < deadline:
                    time.sleep(0.01)
                answered.append(deal_pages())
            return shape(spec, obj)

        monkeypatch.setattr(hubspot_source_module, "object_row", shape_waiting)
        summary, pipeline = load(emulator, tmp_path)
        stats = emulator.stats()
    assert answered == [live_pages]
    assert len(sent) == stats["total"]  # every request went through the limiter

    # the same requests as one page at a time: two objects a page, a listing with none still asks once
    def pages(n: int) -> int:
        return max(1, -(-n // 2))

    expected = {
        f"/crm/v3/objects/{name}": pages(len(ids(name, archived=False))) + pages(len(ids(name, archived=True)))
        for name in ("deals", "contacts", "companies")
    }
    archived_owners = sum(1 for o in OWNERS if o.get("archived"))
    expected["/crm/v3/owners"] = 2  # one page of live owners (100 a page), one of archived ones
    assert len(OWNERS) - archived_owners <= 100 and archived_owners <= 100
    expected["/crm/v3/pipelines/deals"] = 1
    assert {path: counts for path, counts in stats["paths"].items()} == {p: {"200": n} for p, n in expected.items()}

    n = {name: len(objects(name)) for name in ("deals", "contacts", "companies")}
    assert {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined) for t in summary.tallies} == {
        "hubspot/deals": (n["deals"], n["deals"], 0),
        "hubspot/contacts": (n["contacts"], n["contacts"], 0),
        "hubspot/companies": (n["companies"], n["companies"], 0),
        "hubspot/owners": (len(OWNERS), len(OWNERS), 0),
    }
    # history, companies, deals and contacts went to dlt as Arrow (parquet from extract), the associations too, as
    # flat tables of their own (before: deals and contacts as rows, typed-jsonl, for dlt to unnest)
    extract = pipeline.last_trace.last_extract_info
    formats: dict[str, set[str]] = {}
    for metrics in extract.metrics.values():
        for job in metrics[0]["job_metrics"].values():
            table = Path(job.file_path).name.split(".")[0]
            formats.setdefault(table, set()).add(Path(job.file_path).name.split(".")[-1])
    assert {t: formats[t] for t in ("deal_stage_history", "contact_lifecycle_history", "companies", "deals",
                                    "contacts", "deal_associations", "contact_associations")} == {
        "deal_stage_history": {"parquet"}, "contact_lifecycle_history": {"parquet"}, "companies": {"parquet"},
        "deals": {"parquet"}, "contacts": {"parquet"}, "deal_associations": {"parquet"},
        "contact_associations": {"parquet"},
    }
    columns = query_warehouse(
        tmp_path / "w.duckdb",
        "select column_name, data_type, is_nullable from information_schema.columns where table_schema = "
        "'raw_hubspot' and table_name = 'deal_stage_history' order by ordinal_position",
    )
    assert columns == [
        ("deal_id", "VARCHAR", "NO"), ("stage", "VARCHAR", "NO"), ("changed_at", "TIMESTAMP WITH TIME ZONE", "NO"),
        ("source_type", "VARCHAR", "YES"), ("source_id", "VARCHAR", "YES"), ("updated_by_user_id", "BIGINT", "YES"),
        ("_dlt_load_id", "VARCHAR", "NO"), ("_dlt_id", "VARCHAR", "NO"),
    ]
    history = sum(len((o.get("propertiesWithHistory") or {}).get("dealstage", [])) for o in objects("deals"))
    assert query_warehouse(tmp_path / "w.duckdb", "select count(*) from raw_hubspot.deal_stage_history") == [(history,)]


# ---------------------------------------------------------------- history decided column-wise
def test_history_decided_column_wise_equals_the_rows_object_by_object() -> None:
    schema = arrow_schema(history_columns(DEALS))
    deals = objects("deals")
    table = history_table(DEALS, [d["id"] for d in deals], deals, schema)
    one_by_one = [r for d in deals for r in object_history(DEALS, d["id"], d)]
    assert table is not None and table.schema == schema
    assert len(one_by_one) == len(history("deals", "dealstage")) == table.num_rows
    assert sorted(table.to_pylist(), key=repr) == sorted(one_by_one, key=repr)


@pytest.mark.parametrize("entry", [
    {"timestamp": "1709632800000"},  # epoch ms: readable, but not HubSpot's ISO form
    {"timestamp": "2024-03-05T10:00:00.000"},  # no zone
    {"timestamp": "2024-13-05T10:00:00.000Z"},  # month 13
    {"timestamp": "1850-03-05T10:00:00.000Z"},  # outside DATE_RANGE
    {"timestamp": None},
    {"value": 7},
    {"updatedByUserId": "9001"},
    {"sourceType": {"kind": "x"}},
])
def test_an_entry_out_of_the_plain_form_sends_the_page_object_by_object(entry: dict[str, Any]) -> None:
    deal = objects("deals")[0]
    entries = deal["propertiesWithHistory"]["dealstage"]
    odd = {**deal, "propertiesWithHistory": {"dealstage": [{**entries[0], **entry}, *entries[1:]]}}
    assert history_table(DEALS, [deal["id"]], [odd], arrow_schema(history_columns(DEALS))) is None


def test_a_bad_history_entry_quarantines_its_object_and_the_page_loads() -> None:
    deals = objects("deals")[:4]
    bad = {**deals[1], "propertiesWithHistory": {"dealstage": [{"value": "x"}]}}  # an entry without a timestamp
    tally = Reconciliation("hubspot").tally("hubspot/deals", "api")
    out = list(hubspot_source_module._object_loader(DEALS, tally)([deals[0], bad, *deals[2:]]))
    quarantined = [item.data for item in out if isinstance(getattr(item, "data", None), dict)]
    hinted = {item.meta.hints["table_name"]: item.data for item in out
              if isinstance(getattr(item, "data", None), pa.Table)}
    histories = [hinted["deal_stage_history"]]
    rows = [item for item in out if not hasattr(item, "data")]
    assert (tally.rows_read, tally.rows_loaded, tally.rows_quarantined) == (4, 3, 1)
    assert [(q["row_number"], q["field"], q["reason"]) for q in quarantined] == [
        (int(bad["id"]), "propertiesWithHistory.dealstage", "propertiesWithHistory.dealstage has an entry without a timestamp")
    ]
    good = [deals[0], *deals[2:]]
    # the three good deals, their history rows and their associations: one Arrow table each
    assert len(rows) == 1 and rows[0].column("id").to_pylist() == [d["id"] for d in good]
    assert sorted(hinted) == ["deal_associations", "deal_stage_history"]
    assert set(hinted["deal_associations"].column("deal_id").to_pylist()) == {d["id"] for d in good}
    assert len(histories) == 1
    assert histories[0].num_rows == sum(len(d["propertiesWithHistory"]["dealstage"]) for d in good)


def test_a_batch_waits_for_pages_until_it_holds_min_items_or_the_listing_ends() -> None:
    def pages() -> Any:
        for k in range(7):
            time.sleep(0.01)  # each page arrives after the consumer asked: without min_items, one batch per page
            yield [k, k]

    fetcher = Prefetcher(pages(), depth=2, min_items=5)
    got = list(fetcher)
    assert [x for batch in got for x in batch] == [k for k in range(7) for _ in range(2)]
    # 14 items: every batch but the last holds at least 5 (3 pages), so at most 3 batches (7 without min_items)
    assert all(len(batch) >= 5 for batch in got[:-1])
    assert fetcher.batches == len(got) <= 3
    assert fetcher.fetched == fetcher.handed == 7
