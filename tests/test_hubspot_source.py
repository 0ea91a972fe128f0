"""HubSpot source against the emulator: exact counts from the fixtures, incremental runs, archiving, retries, errors."""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

import ingestion.pipeline
from emulators.hubspot import HubSpotEmulator
from ingestion.common.parsing import FieldError
from ingestion.common.reconcile import Reconciliation
from ingestion.hubspot import ENTITY_TABLES, explain, hubspot_source
from ingestion.hubspot.rows import object_rows
from ingestion.hubspot.settings import DEALS
from ingestion.pipeline import PARALLEL_NORMALIZE_ROWS, LoadSummary, make_pipeline, normalize_workers, run_source
from support.warehouse import query as query_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
TOKEN = "emulator-token"
TOKEN_ERROR = (
    "HubSpot rejected the API token (401 Unauthorized): set api_token under [sources.hubspot] in .dlt/secrets.toml "
    "or FUNNELHOUSE_HUBSPOT_TOKEN"
)


# ---------------------------------------------------------------- expectations computed from the fixture files
def objects(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def ids(name: str, archived: bool | None = None) -> list[str]:
    found = [o["id"] for o in objects(name) if archived is None or bool(o.get("archived")) == archived]
    return sorted(found, key=int)


def history(name: str, prop: str) -> set[tuple[str, str, datetime]]:
    return {
        (o["id"], entry["value"], datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00")))
        for o in objects(name)
        for entry in (o.get("propertiesWithHistory") or {}).get(prop, [])
    }


def links(source: str, target: str) -> set[tuple[str, str]]:
    """(source id, target id) pairs: HubSpot associations hold both ways, so read both files."""
    pairs = {(o["id"], str(t)) for o in objects(source) for t in (o.get("associations") or {}).get(target, [])}
    pairs |= {(str(s), o["id"]) for o in objects(target) for s in (o.get("associations") or {}).get(source, [])}
    return pairs


OWNERS = [json.loads(line) for line in (FIXTURES / "owners.jsonl").read_text().splitlines() if line.strip()]
PIPELINES = json.loads((FIXTURES / "pipelines.json").read_text())["results"]


# ---------------------------------------------------------------- helpers
@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """dlt's REST client retries 429/5xx; no waiting in tests (the cap also shortens the emulator's Retry-After: 1)."""
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "8")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_RETRY_DELAY", "0.01")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in ("SOURCES__HUBSPOT__API_TOKEN", "SOURCES__HUBSPOT__BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hubspot() -> Any:
    with HubSpotEmulator(FIXTURES, token=TOKEN) as emulator:
        yield emulator


def load(emulator: Any, tmp_path: Path, **options: Any) -> tuple[LoadSummary, Reconciliation]:
    recon = Reconciliation("hubspot")
    pipeline = make_pipeline("hubspot", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
    options = {"base_url": emulator.base_url, "api_token": TOKEN, "page_size": 2, **options}
    source = hubspot_source(reconciliation=recon, **options)
    return run_source("hubspot", source, recon, ENTITY_TABLES, pipeline), recon


def tallies(summary: LoadSummary) -> dict[str, tuple[int, int, int]]:
    return {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined) for t in summary.tallies}


def query(tmp_path: Path, sql: str) -> list[tuple]:
    return query_warehouse(tmp_path / "w.duckdb", sql)


def count(tmp_path: Path, table: str) -> int:
    return query(tmp_path, f"select count(*) from raw_hubspot.{table}")[0][0]


def status_count(emulator: HubSpotEmulator, path: str, status: int) -> int:
    return emulator.stats()["paths"].get(path, {}).get(str(status), 0)


def nothing_changed(summary: LoadSummary) -> bool:
    return not any(summary.table_rows.get(t) for t in ("deals", "contacts", "companies", "deal_stage_history"))


# ---------------------------------------------------------------- first run
@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One first run shared by the read-only tests below: (warehouse dir, summary, emulator stats)."""
    tmp_path = tmp_path_factory.mktemp("hubspot_first_run")
    with pytest.MonkeyPatch.context() as patch, HubSpotEmulator(FIXTURES, token=TOKEN) as emulator:
        patch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        summary, _ = load(emulator, tmp_path)
        yield tmp_path, summary, emulator.stats()


def test_first_run_lists_every_object_once_across_pages(first_run: Any) -> None:
    tmp_path, summary, stats = first_run

    n = {name: len(objects(name)) for name in ("deals", "contacts", "companies")}
    assert tallies(summary) == {
        "hubspot/deals": (n["deals"], n["deals"], 0),
        "hubspot/contacts": (n["contacts"], n["contacts"], 0),
        "hubspot/companies": (n["companies"], n["companies"], 0),
        "hubspot/owners": (len(OWNERS), len(OWNERS), 0),
    }
    # two per page: 10 live deals in 5 pages, the 2 archived in 1; no search on a first run
    live, archived = len(ids("deals", archived=False)), len(ids("deals", archived=True))
    assert stats["paths"]["/crm/v3/objects/deals"] == {"200": -(-live // 2) + -(-archived // 2)}
    assert not [p for p in stats["paths"] if p.endswith("/search")]

    for name in ("deals", "contacts", "companies"):
        assert [r[0] for r in query(tmp_path, f"select id from raw_hubspot.{name} order by id::int")] == ids(name)
        assert count(tmp_path, name) == n[name]
    assert query(tmp_path, "select id, archived_at is not null from raw_hubspot.deals where archived order by id::int") == [
        (i, True) for i in ids("deals", archived=True)
    ]

    stage_rows = query(tmp_path, "select deal_id, stage, changed_at from raw_hubspot.deal_stage_history")
    assert len(stage_rows) == len(history("deals", "dealstage"))
    assert set(stage_rows) == history("deals", "dealstage")
    lifecycle = query(tmp_path, "select contact_id, lifecycle_stage, changed_at from raw_hubspot.contact_lifecycle_history")
    assert sorted(lifecycle) == sorted(history("contacts", "lifecyclestage"))
    assert set(query(tmp_path, "select deal_id, to_id from raw_hubspot.deal_associations where to_object_type = 'companies'")) == links("deals", "companies")
    assert set(query(tmp_path, "select deal_id, to_id from raw_hubspot.deal_associations where to_object_type = 'contacts'")) == links("deals", "contacts")
    assert count(tmp_path, "deal_associations") == len(links("deals", "companies")) + len(links("deals", "contacts"))
    assert set(query(tmp_path, "select contact_id, to_id from raw_hubspot.contact_associations")) == links("contacts", "companies")

    first = objects("deals")[0]
    assert query(tmp_path, f"select dealname, amount, closedate, hubspot_owner_id from raw_hubspot.deals where id = '{first['id']}'") == [
        (
            first["properties"]["dealname"],
            Decimal(first["properties"]["amount"]),
            datetime.fromisoformat(first["properties"]["closedate"].replace("Z", "+00:00")),
            first["properties"]["hubspot_owner_id"],
        )
    ]
    # deals join owners on hubspot_owner_id
    assert query(tmp_path, "select count(*) from raw_hubspot.deals d left join raw_hubspot.owners o on o.id = d.hubspot_owner_id where d.hubspot_owner_id is not null and o.id is null") == [(0,)]


def test_a_large_load_normalizes_in_parallel_with_the_same_rows(first_run: Any, tmp_path: Path) -> None:
    """Past PARALLEL_NORMALIZE_ROWS dlt normalizes in one process per core; with files of 3 items the extracted
    tables span several files shared by the processes: every table holds the rows of the serial first run."""
    assert normalize_workers(PARALLEL_NORMALIZE_ROWS) == 1
    assert normalize_workers(PARALLEL_NORMALIZE_ROWS + 1) == max(1, min(os.cpu_count() or 1, 4))
    serial = first_run[0]
    tables = ["deals", "contacts", "companies", "owners", "deal_stage_history", "contact_lifecycle_history",
              "deal_associations", "contact_associations"]
    with pytest.MonkeyPatch.context() as patch, HubSpotEmulator(FIXTURES, token=TOKEN) as emulator:
        patch.setattr(ingestion.pipeline, "PARALLEL_NORMALIZE_ROWS", 0)
        patch.setenv("DATA_WRITER__FILE_MAX_ITEMS", "3")
        summary, _ = load(emulator, tmp_path)
    assert summary.table_rows == first_run[1].table_rows
    for table in tables:
        columns = "* exclude (_dlt_id, " + ("_dlt_parent_id, _dlt_root_id)" if "__" in table else "_dlt_load_id)")
        assert query(tmp_path, f"select {columns} from raw_hubspot.{table} order by all") == query(
            serial, f"select {columns} from raw_hubspot.{table} order by all"), table


def test_owners_and_pipelines(first_run: Any) -> None:
    tmp_path = first_run[0]
    expected_owners = []
    for owner in OWNERS:
        primary = next((t for t in owner["teams"] if t.get("primary")), None)
        expected_owners.append(
            (owner["id"], owner["email"], owner["userId"], bool(owner["archived"]), primary and primary["id"], primary and primary["name"])
        )
    assert query(
        tmp_path,
        "select id, email, user_id, archived, primary_team_id, primary_team_name from raw_hubspot.owners order by id",
    ) == sorted(expected_owners)
    assert sorted(query(tmp_path, "select owner_id, team_id, is_primary from raw_hubspot.owners__teams")) == sorted(
        (o["id"], t["id"], bool(t["primary"])) for o in OWNERS for t in o["teams"]
    )
    assert query(tmp_path, "select id, label from raw_hubspot.pipelines order by id") == sorted((p["id"], p["label"]) for p in PIPELINES)
    stages = query(tmp_path, "select pipeline_id, stage_id, is_closed, probability from raw_hubspot.pipeline_stages")
    assert sorted(stages) == sorted(
        (p["id"], s["id"], s["metadata"]["isClosed"] == "true", Decimal(s["metadata"]["probability"]))
        for p in PIPELINES
        for s in p["stages"]
    )
    # every deal stage is a known stage of the deal's pipeline
    assert query(
        tmp_path,
        "select count(*) from raw_hubspot.deals d left join raw_hubspot.pipeline_stages s "
        "on s.pipeline_id = d.pipeline and s.stage_id = d.dealstage where s.stage_id is null",
    ) == [(0,)]


# ---------------------------------------------------------------- incremental runs
def test_second_run_without_changes_loads_no_objects(hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    load(hubspot, tmp_path)
    before = {t: count(tmp_path, t) for t in ("deals", "contacts", "companies", "deal_stage_history")}
    hubspot.reset_stats()

    summary, _ = load(hubspot, tmp_path)

    assert tallies(summary) == {
        "hubspot/deals": (0, 0, 0),
        "hubspot/contacts": (0, 0, 0),
        "hubspot/companies": (0, 0, 0),
        "hubspot/owners": (0, 0, 0),  # listed in full, but none updated since the last run
    }
    assert nothing_changed(summary)
    assert {t: count(tmp_path, t) for t in before} == before
    for name in ("deals", "contacts", "companies"):
        assert status_count(hubspot, f"/crm/v3/objects/{name}/search", 200) == 1
        assert status_count(hubspot, f"/crm/v3/objects/{name}", 200) == 1  # the archived listing only
    # the search starts at the saved timestamp; the deal carrying it is recognised by dlt and not read again
    newest = max(objects("deals"), key=lambda o: o["properties"]["hs_lastmodifieddate"])
    assert summary.tallies[0].detail.startswith(
        f"searched {newest['properties']['hs_lastmodifieddate'].replace('Z', '+00:00')} <= hs_lastmodifieddate < "
    )
    assert not [p for p in hubspot.stats()["paths"] if p.startswith("/crm/v3/objects/deals/") and p[-1].isdigit()]


def test_stage_change_loads_one_deal_and_one_history_row(hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    load(hubspot, tmp_path)
    deals, stage_rows = count(tmp_path, "deals"), count(tmp_path, "deal_stage_history")
    hubspot.update_object("deals", "7", {"dealstage": "presentationscheduled"}, updated_by_user_id=9002)

    summary, _ = load(hubspot, tmp_path)

    assert tallies(summary)["hubspot/deals"] == (1, 1, 0)
    assert summary.table_rows["deals"] == 1
    assert count(tmp_path, "deals") == deals
    assert count(tmp_path, "deal_stage_history") == stage_rows + 1
    assert query(tmp_path, "select dealstage from raw_hubspot.deals where id = '7'") == [("presentationscheduled",)]
    newest = query(
        tmp_path,
        "select stage, source_type, updated_by_user_id from raw_hubspot.deal_stage_history "
        "where deal_id = '7' order by changed_at desc limit 1",
    )
    assert newest == [("presentationscheduled", "CRM_UI", 9002)]
    # its associations were read again with it, not duplicated
    assert query(tmp_path, "select count(*) from raw_hubspot.deal_associations where deal_id = '7'") == [
        (len({p for p in links("deals", "companies") | links("deals", "contacts") if p[0] == "7"}),)
    ]
    assert [p for p in hubspot.stats()["paths"] if p.startswith("/crm/v3/objects/deals/") and p[-1].isdigit()] == [
        "/crm/v3/objects/deals/7"
    ]


def test_deal_archived_after_a_run_is_marked_archived(hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    load(hubspot, tmp_path)
    deals = count(tmp_path, "deals")
    hubspot.archive_object("deals", "5")

    summary, _ = load(hubspot, tmp_path)

    assert tallies(summary)["hubspot/deals"] == (1, 1, 0)
    assert count(tmp_path, "deals") == deals
    assert query(tmp_path, "select archived, archived_at is not null, dealname from raw_hubspot.deals where id = '5'") == [
        (True, True, objects("deals")[0]["properties"]["dealname"])
    ]


def test_source_built_before_its_pipeline_still_loads_everything(hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    """The route is chosen from the active pipeline's state; built under another pipeline it must stay correct."""
    load(hubspot, tmp_path / "other")  # leaves a pipeline with saved cursors active
    recon = Reconciliation("hubspot")
    source = hubspot_source(base_url=hubspot.base_url, api_token=TOKEN, reconciliation=recon, page_size=2)
    assert recon.tallies["hubspot/deals"].detail.startswith("searched")  # chose the search route ...
    pipeline = make_pipeline("hubspot", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
    summary = run_source("hubspot", source, recon, ENTITY_TABLES, pipeline)
    # ... but searched from this pipeline's (empty) cursor: every object, with history and associations
    n = len(objects("deals"))
    assert tallies(summary)["hubspot/deals"] == (n, n, 0)
    assert set(query(tmp_path, "select deal_id, stage, changed_at from raw_hubspot.deal_stage_history")) == history("deals", "dealstage")
    assert count(tmp_path, "deal_associations") == len(links("deals", "companies")) + len(links("deals", "contacts"))


def test_search_past_the_result_limit_restarts_from_the_last_timestamp(tmp_path: Path) -> None:
    with HubSpotEmulator(FIXTURES, token=TOKEN, search_result_limit=3) as emulator:
        load(emulator, tmp_path)
        changed = ["5", "7", "11", "20", "31"]
        for deal_id in changed:
            emulator.update_object("deals", deal_id, {"dealstage": "closedlost"})
        emulator.reset_stats()

        summary, _ = load(emulator, tmp_path, search_page_size=2, search_result_limit=3)

        assert tallies(summary)["hubspot/deals"] == (len(changed), len(changed), 0)
        assert summary.table_rows["deals"] == len(changed)
        assert query(tmp_path, "select id from raw_hubspot.deals where dealstage = 'closedlost' order by id::int") == [
            (i,) for i in sorted(set(changed) | {"31"}, key=int)
        ]
        assert status_count(emulator, "/crm/v3/objects/deals/search", 400) == 0
        assert status_count(emulator, "/crm/v3/objects/deals/search", 200) >= 3


# ---------------------------------------------------------------- faults
def test_rate_limits_and_server_errors_are_retried(hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    hubspot.set_faults(rate_limit_burst=3, server_errors=2)

    summary, _ = load(hubspot, tmp_path)

    assert tallies(summary)["hubspot/deals"] == (len(objects("deals")), len(objects("deals")), 0)
    statuses = hubspot.stats()["statuses"]
    assert statuses.get("429") == 3
    assert statuses.get("502", 0) + statuses.get("503", 0) == 2
    assert count(tmp_path, "deals") == len(objects("deals"))


def test_wrong_token_ends_in_one_line(hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    with pytest.raises(PipelineStepFailed) as failure:
        load(hubspot, tmp_path, api_token="not-the-token-4711")
    message = explain(failure.value)
    assert message == TOKEN_ERROR
    assert "not-the-token-4711" not in str(failure.value)
    assert hubspot.stats()["statuses"] == {"401": 1}  # a 401 is not retried


def test_server_errors_beyond_the_retries_end_in_one_line(hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    hubspot.set_faults(server_errors=100, server_error_status=503)
    with pytest.raises(PipelineStepFailed) as failure:
        load(hubspot, tmp_path)
    message = explain(failure.value)
    assert message is not None and message.startswith("HubSpot kept failing with 503 for /crm/v3/")
    assert "\n" not in message
    assert hubspot.stats()["statuses"] == {"503": 8}  # RUNTIME__REQUEST_MAX_ATTEMPTS


def test_unreachable_base_url_ends_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "1")
    from support.sinks import closed_port

    port = closed_port()  # held bound, never listening: refused for the whole test
    with pytest.raises(PipelineStepFailed) as failure:
        load(type("Nowhere", (), {"base_url": f"http://127.0.0.1:{port}"})(), tmp_path)
    assert explain(failure.value) == (
        f"Cannot reach HubSpot at http://127.0.0.1:{port} (connection refused): check base_url under [sources.hubspot] "
        "in .dlt/config.toml or FUNNELHOUSE_HUBSPOT_BASE_URL (or --hubspot-url), and the network"
    )


def test_missing_token_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__HUBSPOT__BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(Exception) as failure:
        hubspot_source(reconciliation=Reconciliation("hubspot"))
    assert explain(failure.value) == (
        "HubSpot API token is not configured: set api_token under [sources.hubspot] in .dlt/secrets.toml or "
        "FUNNELHOUSE_HUBSPOT_TOKEN"
    )


def test_settings_come_from_config_and_the_token_is_never_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "pat-na1-0f1e2d3c-secret"
    caplog.set_level(logging.DEBUG)
    with HubSpotEmulator(FIXTURES, token=secret) as emulator:
        monkeypatch.setenv("SOURCES__HUBSPOT__BASE_URL", emulator.base_url)
        monkeypatch.setenv("SOURCES__HUBSPOT__API_TOKEN", secret)
        recon = Reconciliation("hubspot")
        pipeline = make_pipeline("hubspot", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
        summary = run_source("hubspot", hubspot_source(reconciliation=recon), recon, ENTITY_TABLES, pipeline)
    assert tallies(summary)["hubspot/deals"] == (len(objects("deals")), len(objects("deals")), 0)
    out, err = capfd.readouterr()
    assert secret not in caplog.text + out + err
    assert secret not in str(pipeline.last_trace)


# ---------------------------------------------------------------- quarantine and schema drift
def test_unusable_objects_are_quarantined_and_reconciled(hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    hubspot.update_object("deals", "7", {"amount": "a lot"})
    hubspot.update_object("contacts", "4", {"createdate": "yesterday"})

    summary, _ = load(hubspot, tmp_path)

    n = len(objects("deals"))
    assert tallies(summary)["hubspot/deals"] == (n, n - 1, 1)
    assert tallies(summary)["hubspot/contacts"] == (len(objects("contacts")), len(objects("contacts")) - 1, 1)
    assert query(tmp_path, "select input_name, row_number, entity, field, raw_value, reason from raw_hubspot.quarantine order by 1") == [
        ("hubspot/contacts", 4, "contacts", "createdate", "yesterday", "createdate is not a timestamp: 'yesterday'"),
        ("hubspot/deals", 7, "deals", "amount", "a lot", "amount is not a number: 'a lot'"),
    ]
    assert json.loads(query(tmp_path, "select raw_record from raw_hubspot.quarantine where row_number = 7")[0][0])["id"] == "7"
    assert query(tmp_path, "select count(*) from raw_hubspot.deals where id = '7'") == [(0,)]
    assert query(tmp_path, "select count(*) from raw_hubspot.deal_stage_history where deal_id = '7'") == [(0,)]

    # fixed in HubSpot: the next run loads it
    hubspot.update_object("deals", "7", {"amount": "4500"})
    summary, _ = load(hubspot, tmp_path)
    assert tallies(summary)["hubspot/deals"] == (1, 1, 0)
    assert query(tmp_path, "select amount from raw_hubspot.deals where id = '7'") == [(Decimal("4500"),)]


def test_a_new_hubspot_property_becomes_a_text_column(hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    hubspot.set_faults(extra_property={"name": "hs_new_field", "value": 42})
    summary, _ = load(hubspot, tmp_path)
    assert tallies(summary)["hubspot/deals"] == (len(objects("deals")), len(objects("deals")), 0)
    assert query(tmp_path, "select distinct hs_new_field from raw_hubspot.deals") == [("42",)]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"id": None}, "id", "object has no id"),
        ({"id": "abc"}, "id", "object id is not numeric: 'abc'"),
        ({"properties": {"amount": {"value": 1}}}, "amount", "property 'amount' has an unsupported value type dict (expected a string)"),
        ({"properties": {"hs_is_closed": "maybe"}}, "hs_is_closed", "hs_is_closed is not true/false: 'maybe'"),
        ({"propertiesWithHistory": {"dealstage": [{"value": "x"}]}}, "propertiesWithHistory.dealstage", "propertiesWithHistory.dealstage has an entry without a timestamp"),
    ],
)
def test_object_validation_reasons(change: dict[str, Any], field: str, reason: str) -> None:
    deal = {**objects("deals")[0], **change}
    with pytest.raises(FieldError) as error:
        object_rows(DEALS, deal)
    assert (error.value.field, error.value.reason) == (field, reason)


def test_reserved_property_names_do_not_clobber_columns() -> None:
    deal = {**objects("deals")[0], "properties": {"archived": "yes", "dealname": "x", "hs_object_id": "5"}}
    row, _ = object_rows(DEALS, deal)
    assert (row["archived"], row["property_archived"], row["dealname"], "hs_object_id" in row) == (False, "yes", "x", False)
    assert row["created_at"] == datetime(2024, 1, 2, 9, 0, tzinfo=timezone.utc)
