"""The Salesforce source against the Salesforce emulator (plain http), through a real dlt pipeline into DuckDB: REST
paging, the incremental second run, deleted rows, the stage history, an expired session, the daily cap, 5xx,
the Bulk API 2.0 route, custom fields and quarantined values, with the request counts the emulator's stats give."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from emulators.salesforce.server import SalesforceEmulator
from funnelhouse.generate import generate
from ingestion.common.errors import FunnelhouseError
from ingestion.common.explain import exception_chain
from ingestion.common.reconcile import Reconciliation
from ingestion.common.shaping import stable_number
from ingestion.connectors import connector
from ingestion.pipeline import make_pipeline, run_source
from ingestion.run import IngestOptions, ingest_source, skip_reason
from ingestion.salesforce import ENTITY_TABLES, salesforce_source
from ingestion.salesforce.errors import DAILY_CAP_HELP, SECRETS

FIXTURE = Path(__file__).parent / "fixtures" / "salesforce"
BASE = "/services/data/v62.0"
TOKEN, DESCRIBE = "/services/oauth2/token", BASE + "/sobjects/{sobject}/describe"
QUERY, QUERY_ALL, MORE = f"{BASE}/query", f"{BASE}/queryAll", BASE + "/query/{locator}"
JOBS, JOB, RESULTS = f"{BASE}/jobs/query", BASE + "/jobs/query/{job_id}", BASE + "/jobs/query/{job_id}/results"
APP = {"client_id": "emulator-client-id", "client_secret": "emulator-client-secret"}
OPP = "006Hx00000Opp00{}AA".format
TABLES = ("users", "accounts", "contacts", "leads", "opportunities", "opportunity_history", "opportunity_stages")


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated org at scale 1 (seed 42): 8 users, 70 accounts, 110 contacts, 200 leads (2 deleted), 150
    opportunities (11 deleted), 1,239 history rows, 10 stages."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, seed=42, scale=1)
    return out / "salesforce"


def _copy(seed: Path, folder: Path) -> Path:
    shutil.copytree(seed, folder)
    return folder


def _options(tmp_path: Path, sf: SalesforceEmulator, name: str = "w", **settings: Any) -> IngestOptions:
    return IngestOptions(inputs_dir=tmp_path / "inputs", warehouse=tmp_path / f"{name}.duckdb",
                         pipelines_dir=tmp_path / f"{name}-pipelines",
                         api_settings={"salesforce": {"login_url": sf.base_url, **APP, **settings}})


def _ingest(options: IngestOptions) -> dict[str, tuple[int, int, int]]:
    summary, errors = ingest_source("salesforce", options)
    assert errors == []
    return {t.input_name.removeprefix("salesforce/"): (t.rows_read, t.rows_loaded, t.rows_quarantined)
            for t in summary.tallies}


def _routes(sf: SalesforceEmulator) -> dict[str, dict[str, int]]:
    routes = sf.stats()["routes"]
    sf.reset_stats()
    return routes


def _sql(options: IngestOptions, query: str) -> list[tuple]:
    with duckdb.connect(str(options.warehouse), read_only=True) as db:
        return db.sql(query).fetchall()


def _seed_ids(seed: Path, sobject: str) -> list[str]:
    return sorted(json.loads(line)["Id"] for line in (seed / f"{sobject}.jsonl").read_text().splitlines() if line)


def _edit(sf: SalesforceEmulator, sobject: str, record_id: str, fields: dict[str, Any] | None = None) -> None:
    url = f"{sf.base_url}/_emulator/records/{sobject}/{record_id}"
    answer = requests.delete(url) if fields is None else requests.post(url, json={"fields": fields})
    assert answer.status_code == 200


def _message(error: BaseException) -> str:
    return next(str(e) for e in exception_chain(error) if isinstance(e, FunnelhouseError))


def test_first_run_pages_every_object_and_keeps_deleted_rows(generated: Path, tmp_path: Path) -> None:
    with SalesforceEmulator(_copy(generated, tmp_path / "seed")) as sf:
        options = _options(tmp_path, sf, batch_size=200)
        tallies = _ingest(options)
        routes = _routes(sf)
    # every row read is loaded: the generated org has no bad value
    assert tallies == {"users": (8, 8, 0), "accounts": (70, 70, 0), "contacts": (110, 110, 0),
                       "leads": (200, 200, 0), "opportunities": (150, 150, 0),
                       "opportunity_history": (1239, 1239, 0), "opportunity_stages": (10, 10, 0)}
    # 1 token; 7 describes; 7 COUNT() + 7 first batches (users and stages by /query, the 5 others by /queryAll);
    # 200 rows a batch: only the history (1,239 rows) takes more, 6 nextRecordsUrl follow-ups (7 batches)
    assert routes == {TOKEN: {"200": 1}, DESCRIBE: {"200": 7}, QUERY: {"200": 4}, QUERY_ALL: {"200": 10},
                      MORE: {"200": 6}}
    assert _sql(options, "select count(*), count(*) filter (where is_deleted) from raw_salesforce.opportunities") == [
        (150, 11)]
    assert _sql(options, "select count(*) filter (where is_deleted) from raw_salesforce.leads") == [(2,)]
    # the stage history is the emulator's, row for row
    history = [row[0] for row in _sql(options, "select id from raw_salesforce.opportunity_history order by id")]
    assert history == _seed_ids(generated, "OpportunityHistory")
    # custom fields come through typed from describe: the spec's Loss_Reason__c and the org's Partner_Channel__c
    lost = _sql(options, "select count(*), count(loss_reason_c), count(partner_channel_c) from "
                         "raw_salesforce.opportunities where stage_name = 'Closed Lost'")
    assert lost[0][0] == lost[0][1] > 0
    assert _sql(options, "select input_name, rows_read, rows_loaded, detail from raw_salesforce.reconciliation "
                         "where input_name = 'salesforce/opportunities'") == [
        ("salesforce/opportunities", 150, 150,
         "first run: 150 rows counted, <= 10,000: REST queryAll; api-usage 27/100000")]  # 7 + 14 + 6 calls


def test_second_run_reads_only_what_changed(tmp_path: Path) -> None:
    with SalesforceEmulator(_copy(FIXTURE, tmp_path / "seed")) as sf:
        options = _options(tmp_path, sf)
        assert _ingest(options)["opportunities"] == (4, 4, 0)
        sf.reset_stats()
        _edit(sf, "Opportunity", OPP(1), {"StageName": "Closed Won"})  # a stage change: 1 history row
        _edit(sf, "Opportunity", OPP(3), {"Name": "Acme support plan 2027"})
        _edit(sf, "Opportunity", OPP(2))  # to the recycle bin
        _edit(sf, "Account", "001Hx00000Acc002AA", {"Industry": "Finance"})
        tallies = _ingest(options)
        routes = _routes(sf)
        assert _ingest(options) == {table: (0, 0, 0) for table in TABLES}  # a third run: nothing changed
        third = _routes(sf)
    # the fixture org has no Contact and no Lead (describe answers 404): nothing read for them
    assert tallies == {"users": (0, 0, 0), "accounts": (1, 1, 0), "contacts": (0, 0, 0), "leads": (0, 0, 0),
                       "opportunities": (3, 3, 0), "opportunity_history": (1, 1, 0),
                       "opportunity_stages": (0, 0, 0)}
    # no COUNT() on later runs: 1 token, 7 describes (2 answer 404), 5 queries since the saved cursors
    assert routes == third == {TOKEN: {"200": 1}, DESCRIBE: {"200": 5, "404": 2}, QUERY: {"200": 2},
                               QUERY_ALL: {"200": 3}}
    assert _sql(options, "select id, stage_name, is_deleted from raw_salesforce.opportunities order by id") == [
        (OPP(1), "Closed Won", False), (OPP(2), "Closed Lost", True), (OPP(3), "Closed Won", False),
        (OPP(4), "Prospecting", True)]
    assert _sql(options, "select count(*), count(distinct id) from raw_salesforce.opportunity_history") == [(6, 6)]
    assert _sql(options, "select industry from raw_salesforce.accounts order by id") == [("Technology",), ("Finance",)]
    loads = [row[0] for row in _sql(options, "select distinct load_id from raw_salesforce.reconciliation order by 1")]
    details = dict(_sql(options, "select input_name, detail from raw_salesforce.reconciliation where load_id = "
                                 f"'{loads[1]}'"))  # the second run's
    assert details["salesforce/opportunities"] == (
        "changed since 2026-03-12T10:00:00+00:00: REST queryAll; api-usage 29/100000")  # 17 + 12 API requests
    assert details["salesforce/leads"] == "not in this org (describe Lead: 404); nothing read; api-usage 29/100000"


def test_bulk_route_loads_the_same_rows_and_hands_over_to_rest(generated: Path, tmp_path: Path) -> None:
    def snapshot(options: IngestOptions) -> dict[str, list[tuple]]:
        return {table: _sql(options, f"select * exclude (_dlt_load_id, _dlt_id) from raw_salesforce.{table} "
                                     "order by id") for table in TABLES}

    with SalesforceEmulator(_copy(generated, tmp_path / "rest-seed")) as sf:
        by_rest = _options(tmp_path, sf, "rest")
        _ingest(by_rest)
    with SalesforceEmulator(_copy(generated, tmp_path / "bulk-seed")) as sf:
        by_bulk = _options(tmp_path, sf, "bulk", bulk_threshold=100, bulk_max_records=500, bulk_poll_seconds=0.01)
        assert _ingest(by_bulk)["opportunity_history"] == (1239, 1239, 0)
        routes = _routes(sf)
        assert snapshot(by_bulk) == snapshot(by_rest)  # every table, row for row, value for value
        renamed = _seed_ids(generated, "Opportunity")[0]
        _edit(sf, "Opportunity", renamed, {"Name": "Renamed"})
        assert _ingest(by_bulk)["opportunities"] == (1, 1, 0)
        later = _routes(sf)
    assert _sql(by_bulk, f"select name from raw_salesforce.opportunities where id = '{renamed}'") == [("Renamed",)]
    # above 100 rows, a job: contacts 110, leads 200, opportunities 150, history 1,239; users 8, accounts 70,
    # stages 10 by REST (queryAll: 5 counts + the accounts' batch; query: 2 counts + 2 batches). Each job:
    # 1 create, 2 polls (the emulator steps InProgress, JobComplete), result sets of 500 rows: 1 each, the
    # history 3 (500, 500, 239)
    assert {route: routes[route] for route in (JOBS, JOB, RESULTS, QUERY, QUERY_ALL)} == {
        JOBS: {"200": 4}, JOB: {"200": 8}, RESULTS: {"200": 6}, QUERY: {"200": 4}, QUERY_ALL: {"200": 6}}
    # the next run reads the change by REST from the cursor the job's rows left: no job, no COUNT()
    assert JOBS not in later and later[QUERY_ALL] == {"200": 5} and later[QUERY] == {"200": 2}


def test_an_expired_session_is_refreshed_once(tmp_path: Path) -> None:
    with SalesforceEmulator(_copy(FIXTURE, tmp_path / "seed")) as sf:
        options = _options(tmp_path, sf)
        recon = Reconciliation("salesforce")
        pipeline = make_pipeline("salesforce", options.warehouse, options.pipelines_dir)
        source = salesforce_source(reconciliation=recon, login_url=sf.base_url, **APP)  # logs in: token 1
        sf.set_faults(expired_token=True)  # the session expires before the first read
        summary = run_source("salesforce", source, recon, ENTITY_TABLES, pipeline)
        routes = _routes(sf)
    assert summary.rows_loaded == 16  # 2 users + 2 accounts + 4 opportunities + 5 history rows + 3 stages
    # the first describe answers 401 INVALID_SESSION_ID: one new token, the describe once more, then all goes on
    assert routes[TOKEN] == {"200": 2} and routes[DESCRIBE] == {"401": 1, "200": 5, "404": 2}


def test_a_second_401_after_the_refresh_is_one_line(tmp_path: Path) -> None:
    with SalesforceEmulator(_copy(FIXTURE, tmp_path / "seed")) as sf:
        options = _options(tmp_path, sf)
        recon = Reconciliation("salesforce")
        pipeline = make_pipeline("salesforce", options.warehouse, options.pipelines_dir)
        source = salesforce_source(reconciliation=recon, login_url=sf.base_url, **APP)
        sf.set_faults(expired_token=True)
        sf._require_state().accept_token = lambda token: None  # tokens granted from now on are not valid either
        with pytest.raises(Exception) as raised:
            run_source("salesforce", source, recon, ENTITY_TABLES, pipeline)
        routes = _routes(sf)
    assert _message(raised.value) == (
        "Salesforce rejected a freshly obtained access token (401: INVALID_SESSION_ID: Session expired or "
        f"invalid): check {SECRETS}, and that the user may use the API")
    assert routes == {TOKEN: {"200": 2}, DESCRIBE: {"401": 2}}  # refreshed once, never again


def test_the_daily_cap_is_one_line(tmp_path: Path) -> None:
    # the fixture's first run needs 17 API requests (7 describes, 5 counts, 5 batches); the cap allows 9
    with SalesforceEmulator(_copy(FIXTURE, tmp_path / "seed"), daily_cap=9) as sf:
        with pytest.raises(Exception) as raised:
            ingest_source("salesforce", _options(tmp_path, sf))
        routes = _routes(sf)
    assert _message(raised.value) == (
        f"Salesforce refused {QUERY_ALL} (403 REQUEST_LIMIT_EXCEEDED, api-usage 9/9): {DAILY_CAP_HELP}")
    # 9 API requests served (6 describes, 2 of them 404, 1 count by /query, 2 by /queryAll), the 10th refused
    assert routes == {TOKEN: {"200": 1}, DESCRIBE: {"200": 4, "404": 2}, QUERY: {"200": 1},
                      QUERY_ALL: {"200": 2, "403": 1}}


def test_server_errors_are_retried(tmp_path: Path) -> None:
    with SalesforceEmulator(_copy(FIXTURE, tmp_path / "seed")) as sf:
        sf.set_faults(server_errors=2)  # the first two API answers: 500, then 503
        tallies = _ingest(_options(tmp_path, sf))
        routes = _routes(sf)
    assert tallies["opportunities"] == (4, 4, 0)
    assert routes[DESCRIBE] == {"500": 1, "503": 1, "200": 5, "404": 2}  # the first describe, tried 3 times


def test_custom_fields_pass_through_and_bad_values_are_quarantined(tmp_path: Path) -> None:
    seed = _copy(FIXTURE, tmp_path / "seed")
    lines = (seed / "Opportunity.jsonl").read_text().splitlines()
    lines[2] = lines[2].replace('"Amount": 12000.5', '"Amount": "12k"')  # Opp003
    (seed / "Opportunity.jsonl").write_text("\n".join(lines) + "\n")
    with SalesforceEmulator(seed) as sf:
        sf.set_faults(added_field={"name": "Renewal_Risk__c", "value": "High"})  # drift: a new custom field
        options = _options(tmp_path, sf)
        # 4 opportunities read: 3 loaded, Opp003 quarantined
        assert _ingest(options)["opportunities"] == (4, 3, 1)
    assert _sql(options, "select id, amount, loss_reason_c, partner_channel_c, renewal_risk_c from "
                         "raw_salesforce.opportunities order by id") == [
        (OPP(1), 50000, None, None, "High"), (OPP(2), 18000, "Price", "Reseller", "High"),
        (OPP(4), 50000, None, None, "High")]
    assert _sql(options, "select input_name, row_number, entity, field, raw_value, reason from "
                         "raw_salesforce.quarantine") == [
        ("salesforce/opportunities", stable_number(OPP(3)), "opportunities", "Amount", "12k",
         "Amount is not a number: '12k'; correct the value in Salesforce")]


def test_the_registry_entry_skips_and_describes_without_a_request(tmp_path: Path) -> None:
    options = IngestOptions(inputs_dir=tmp_path, warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "p")
    assert skip_reason("salesforce", options) == (
        "salesforce: skipped — no login_url/client_id/client_secret configured (set login_url under "
        "[sources.salesforce] in .dlt/config.toml or FUNNELHOUSE_SALESFORCE_LOGIN_URL; client_id under "
        "[sources.salesforce] in .dlt/secrets.toml or FUNNELHOUSE_SALESFORCE_CLIENT_ID; client_secret under "
        "[sources.salesforce] in .dlt/secrets.toml or FUNNELHOUSE_SALESFORCE_CLIENT_SECRET)")
    source = connector("salesforce").describe(Reconciliation("salesforce"))  # 127.0.0.1:80 is never asked
    assert sorted(r.table_name for r in source.selected_resources.values()) == sorted(
        [table for table in TABLES for _ in range(2)])


def test_the_refresh_token_grant(tmp_path: Path) -> None:
    with SalesforceEmulator(_copy(FIXTURE, tmp_path / "seed")) as sf:
        # with instance_url set, the source is built without a request: the token is asked for on the first read
        granted = _ingest(_options(tmp_path, sf, refresh_token="emulator-refresh-token", instance_url=sf.base_url))
        with pytest.raises(FunnelhouseError) as refused:  # said before anything is read
            ingest_source("salesforce", _options(tmp_path, sf, "stale", refresh_token="revoked"))
        routes = _routes(sf)
    assert granted["opportunity_history"] == (5, 5, 0)
    assert str(refused.value) == (
        f"Salesforce token endpoint refused the refresh_token grant (400: authentication failure): check {SECRETS}")
    assert routes[TOKEN] == {"200": 1, "400": 1}
