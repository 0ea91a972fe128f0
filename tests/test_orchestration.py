"""Dagster around everything: definitions load, schedules, the drop-folder sensor, a refresh through Dagster on the
committed fixtures, blocking checks, alerts on local sinks, and full vs. incremental refreshes giving equal marts."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from emulators.hubspot.server import HubSpotEmulator
from orchestration.refresh import run_refresh
from orchestration.resources import FunnelhouseResource
from support.inputs import FIXTURES, copy_fixture_inputs
from support.sinks import HttpSink
from support.skip_lines import FXIAOKE_SKIPPED, HUBSPOT_SKIPPED, PIPEDRIVE_SKIPPED, SALESFORCE_SKIPPED, ZOHO_SKIPPED
from support.warehouse import query

AS_OF = "2025-06-30"
TOKEN = "test-token"
ALERT_ENV = ("FUNNELHOUSE_ALERT_WEBHOOK_URL", "FUNNELHOUSE_ALERT_SLACK_WEBHOOK_URL", "FUNNELHOUSE_ALERT_WECOM_WEBHOOK_URL",
             "FUNNELHOUSE_ALERT_DINGTALK_WEBHOOK_URL", "FUNNELHOUSE_ALERT_SMTP_HOST", "FUNNELHOUSE_ALERT_EMAIL_TO")


@pytest.fixture(autouse=True)
def no_alert_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALERT_ENV:
        monkeypatch.delenv(name, raising=False)


def marts_snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every mart table's rows, sorted, as of now."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        return {t: sorted(connection.execute(f"select * from marts.{t}").fetchall(), key=repr) for t in tables}


def dbt_asset_keys() -> list[str]:
    """The asset key of every dbt model and seed of the project (from the manifest Dagster loads)."""
    from orchestration.assets.dbt import dbt_models

    return sorted(key.to_user_string() for key in dbt_models.keys)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The fixtures loaded and built through Dagster twice: a full refresh, then an incremental one."""
    root = tmp_path_factory.mktemp("orchestration")
    inputs = copy_fixture_inputs(root)
    emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()
    resource = FunnelhouseResource(warehouse=str(root / "warehouse.duckdb"), inputs_dir=str(inputs), as_of=AS_OF,
                                   hubspot_base_url=emulator.base_url, hubspot_token=TOKEN)
    try:
        full = run_refresh(resource, full_refresh=True, log_file=root / "full.log")
        full_marts = marts_snapshot(resource.warehouse_path())
        incremental = run_refresh(resource, log_file=root / "incremental.log")
        incremental_marts = marts_snapshot(resource.warehouse_path())
    finally:
        emulator.stop()
    return SimpleNamespace(root=root, inputs=inputs, resource=resource, full=full, incremental=incremental,
                           full_marts=full_marts, incremental_marts=incremental_marts)


def test_definitions_validate_and_lineage_runs_from_raw_tables_to_marts(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-m", "orchestration.definitions"],
        capture_output=True, text=True, env={**os.environ, "DAGSTER_HOME": str(home)}, cwd=tmp_path, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}
    assert {node.group_name for node in keys.values()} == {"ingestion", "staging", "intermediate", "marts", "quality", "serving"}
    raw = [key for key, node in keys.items() if node.group_name == "ingestion"]
    # forms 3, hubspot 15 (with deal_associations / contact_associations and the nested deals__associations /
    # contacts__associations a warehouse loaded before them still holds), spreadsheets 14: the demo's 4 tables, the
    # canonical deals, leads, deal_attributes, lead_attributes, owners, companies, products and deal_stage_dates,
    # quarantine and reconciliation; salesforce 9 and pipedrive 9 (their 7 tables, quarantine and reconciliation),
    # as their dbt sources declare them, loaded by ingest_salesforce and ingest_pipedrive; zoho 10 (deals,
    # deal_stage_history, stages, leads, accounts, contacts, users, deleted_records, quarantine, reconciliation) from
    # _zoho__sources.yml; the YAML CRM fxiaoke 8 from ingestion/rest_crm (its file maps deals, deal_stage_changes,
    # owners, companies, people; crm_spec, quarantine, reconciliation), no dbt source declaring them: 50 + 10 + 8
    assert len(raw) == 68
    # every raw table feeds its staging model: stg_hubspot__deals reads raw_hubspot/deals, and so on
    orphans = [key for key in raw if not any(child.path[0] == "staging" for child in keys[key].child_keys)]
    assert orphans == []
    assert "raw_hubspot/deals" in {p.to_user_string() for p in keys["staging/stg_hubspot__deals"].parent_keys}
    # the generic model set of the YAML CRMs reads every raw_<name> holding a crm_spec: Dagster runs it after them
    assert {p.to_user_string() for p in keys["staging/stg_rest_crm__deals"].parent_keys} == {
        "raw_fxiaoke/deals", "raw_fxiaoke/crm_spec"}
    assert {p.to_user_string() for p in keys["quality/stale_deals_digest"].parent_keys} == {"marts/mart_stale_deals"}
    # raw tables are expected every night: late after 26 hours, overdue after 50
    policy = defs.resolve_assets_def(dg.AssetKey(["raw_hubspot", "deals"])).specs_by_key[dg.AssetKey(["raw_hubspot", "deals"])]
    assert (policy.freshness_policy.warn_window.to_timedelta().total_seconds(),
            policy.freshness_policy.fail_window.to_timedelta().total_seconds()) \
        == (26 * 3600, 50 * 3600)
    for source, table in (("salesforce", "opportunities"), ("pipedrive", "deals"), ("zoho", "deals"),
                          ("zoho", "deal_stage_history"), ("fxiaoke", "deals"), ("fxiaoke", "deal_stage_changes")):
        key = dg.AssetKey([f"raw_{source}", table])
        assets = defs.resolve_assets_def(key)
        assert (assets.node_def.name, assets.specs_by_key[key].freshness_policy) == (
            f"ingest_{source}", policy.freshness_policy)
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {name for name in checks if name.startswith("gx_")} == {
        "gx_raw_forms__form_submissions", "gx_raw_spreadsheets__tracker_deals", "gx_raw_spreadsheets__export_deals",
        "gx_raw_spreadsheets__export_stage_changes", "gx_raw_forms__quarantine", "gx_raw_spreadsheets__quarantine",
        "gx_raw_hubspot__deals", "gx_raw_hubspot__contacts", "gx_raw_salesforce__opportunities",
        "gx_raw_salesforce__opportunity_history", "gx_raw_pipedrive__deals", "gx_raw_pipedrive__deal_stage_changes",
        "gx_raw_zoho__deals", "gx_raw_zoho__deal_stage_history", "gx_raw_fxiaoke__deals",
        "gx_raw_fxiaoke__deal_stage_changes", "gx_intermediate__int_deals__coverage",
        "gx_marts__fct_deals", "gx_marts__fct_deal_stage_events", "gx_marts__mart_funnel_conversion",
        "gx_marts__mart_funnel_conversion__reconciliation", "gx_marts__mart_stale_deals",
        "gx_marts__mart_stage_velocity", "gx_marts__mart_loss_reasons",
    }


def test_the_resource_carries_every_api_source_settings_and_never_shows_a_secret(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """api_settings (by the registry's keys) override the FUNNELHOUSE_* env, hubspot_* fields override both."""
    monkeypatch.setenv("FUNNELHOUSE_HUBSPOT_BASE_URL", "http://env-hubspot")
    monkeypatch.setenv("FUNNELHOUSE_HUBSPOT_TOKEN", "env-hubspot-token")
    resource = FunnelhouseResource(api_settings={
        "hubspot": {"api_token": "given-hubspot-token"},
        "pipedrive": {"base_url": "http://pipedrive", "api_token": "given-pipedrive-token"},
        "salesforce": {"login_url": "http://salesforce", "client_id": "app-1", "client_secret": "given-sf-secret"}})
    assert resource.ingest_options().api_settings == {
        "hubspot": {"base_url": "http://env-hubspot", "api_token": "given-hubspot-token"},
        "pipedrive": {"base_url": "http://pipedrive", "api_token": "given-pipedrive-token"},
        "salesforce": {"login_url": "http://salesforce", "client_id": "app-1", "client_secret": "given-sf-secret"}}
    assert FunnelhouseResource(hubspot_token="field-token").ingest_options().hubspot_token == "field-token"
    for shown in (repr(resource), str(resource), repr(FunnelhouseResource(hubspot_token="field-token"))):
        assert not any(secret in shown for secret in ("given-hubspot-token", "given-pipedrive-token",
                                                       "given-sf-secret", "field-token")), shown
    # the registry marks Salesforce's client_id secret too; the URLs show
    assert "'salesforce': {'login_url': 'http://salesforce', 'client_id': '***', 'client_secret': '***'}" in repr(
        resource)


def test_the_resource_takes_zoho_and_fxiaoke_settings_from_env_and_hides_their_secrets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Zoho's and the YAML CRM fxiaoke's FUNNELHOUSE_* env (their registry entries') reach ingest; api_settings win."""
    env = {"FUNNELHOUSE_ZOHO_ACCOUNTS_URL": "https://accounts.zoho.eu", "FUNNELHOUSE_ZOHO_CLIENT_ID": "env-zoho-id",
           "FUNNELHOUSE_ZOHO_CLIENT_SECRET": "env-zoho-secret", "FUNNELHOUSE_ZOHO_REFRESH_TOKEN": "env-zoho-refresh",
           "FUNNELHOUSE_FXIAOKE_APP_ID": "FSAID_env", "FUNNELHOUSE_FXIAOKE_APP_SECRET": "env-fx-secret",
           "FUNNELHOUSE_FXIAOKE_PERMANENT_CODE": "env-fx-code", "FUNNELHOUSE_FXIAOKE_CURRENT_OPEN_USER_ID": "FSUID_env"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    resource = FunnelhouseResource(api_settings={"zoho": {"refresh_token": "given-zoho-refresh"},
                                                 "fxiaoke": {"base_url": "http://fxiaoke"}})
    settings = resource.ingest_options().api_settings
    assert (settings["zoho"], settings["fxiaoke"]) == (
        {"accounts_url": "https://accounts.zoho.eu", "client_id": "env-zoho-id", "client_secret": "env-zoho-secret",
         "refresh_token": "given-zoho-refresh"},
        {"app_id": "FSAID_env", "app_secret": "env-fx-secret", "permanent_code": "env-fx-code",
         "current_open_user_id": "FSUID_env", "base_url": "http://fxiaoke"})
    assert "given-zoho-refresh" not in repr(resource) and "'fxiaoke': {'base_url': 'http://fxiaoke'}" in repr(resource)


def test_nightly_schedule_runs_at_two_in_shanghai_and_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.definitions import build_definitions

    schedule = build_definitions().resolve_schedule_def("nightly_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "0 2 * * *", "Asia/Shanghai", "refresh")
    digest = build_definitions().resolve_schedule_def("daily_stale_deals_digest")
    assert (digest.cron_schedule, digest.execution_timezone, digest.job_name) == (
        "0 9 * * *", "Asia/Shanghai", "stale_deals_digest")
    monkeypatch.setenv("FUNNELHOUSE_REFRESH_CRON", "30 3 * * 1-5")
    monkeypatch.setenv("FUNNELHOUSE_TIMEZONE", "Europe/Berlin")
    schedule = build_definitions().resolve_schedule_def("nightly_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 3 * * 1-5", "Europe/Berlin")


def test_sensor_fires_for_a_new_file_and_not_for_a_redropped_identical_one(isolated_data_dir: Path) -> None:
    from orchestration.definitions import build_definitions

    sensor = build_definitions().resolve_sensor_def("new_drop_files")
    forms = isolated_data_dir / "inputs" / "forms" / "export"
    forms.mkdir(parents=True)
    (isolated_data_dir / "inputs" / "spreadsheets").mkdir(parents=True)

    def tick(cursor: str | None):
        context = dg.build_sensor_context(cursor=cursor)
        result = sensor.evaluate_tick(context)
        return result, context.cursor

    result, cursor = tick(None)
    assert result.run_requests == [] and result.skip_message == "no new or changed file in the drop folders"
    lead = forms / "leads_2026-10.jsonl"
    lead.write_text('{"submission_id": "WS-1"}\n', encoding="utf-8")
    result, cursor = tick(cursor)
    assert len(result.run_requests) == 1
    assert result.run_requests[0].tags["funnelhouse/new_files"] == "forms/export/leads_2026-10.jsonl"
    first_key = result.run_requests[0].run_key

    result, cursor = tick(cursor)  # nothing changed
    assert result.run_requests == []
    lead.unlink()  # the same file dropped again: new mtime, same bytes
    lead.write_text('{"submission_id": "WS-1"}\n', encoding="utf-8")
    os.utime(lead, ns=(lead.stat().st_atime_ns, lead.stat().st_mtime_ns + 5_000_000_000))
    result, cursor = tick(cursor)
    assert result.run_requests == []

    sheet = isolated_data_dir / "inputs" / "spreadsheets" / "销售跟进表_华北.csv"
    sheet.write_text("客户名称,当前阶段\n北方重工,初步接洽\n", encoding="utf-8")
    lead.write_text('{"submission_id": "WS-2"}\n', encoding="utf-8")  # changed content
    result, cursor = tick(cursor)
    assert len(result.run_requests) == 1
    assert result.run_requests[0].tags["funnelhouse/new_files"] == (
        "forms/export/leads_2026-10.jsonl, spreadsheets/销售跟进表_华北.csv")
    assert result.run_requests[0].run_key != first_key


def test_refresh_through_dagster_loads_builds_and_checks_everything(refreshed: SimpleNamespace) -> None:
    full = refreshed.full
    assert full.success, full.error
    assert full.skipped == []
    # every raw table (see above): the 36 of Salesforce, Pipedrive, Zoho and fxiaoke too, reported with nothing
    # loaded, as the fixtures configure none of them (their summaries say skipped)
    assert len([key for key in full.materialized if key.startswith("raw_")]) == 68
    assert [key for key in dbt_asset_keys() if key not in full.materialized] == []  # every model and seed
    assert "quality/data_quality_report" in full.materialized and "quality/funnel_report" in full.materialized
    assert (refreshed.resource.warehouse_path().parent / "reports" / "funnel_report.html").stat().st_size > 4_000_000
    totals = {s.source: (sum(t.rows_read for t in s.tallies), s.rows_loaded, s.rows_quarantined)
              for s in full.load_summaries}
    assert set(totals) == {"forms", "spreadsheets", "hubspot", "salesforce", "pipedrive", "zoho", "fxiaoke"}
    assert {s.source: s.skipped for s in full.load_summaries if s.skipped} == {
        "salesforce": SALESFORCE_SKIPPED, "pipedrive": PIPEDRIVE_SKIPPED, "zoho": ZOHO_SKIPPED,
        "fxiaoke": FXIAOKE_SKIPPED}
    assert all(read == loaded + quarantined for read, loaded, quarantined in totals.values())
    gx = [c for c in full.checks if c.is_gx]
    assert len(gx) == 24  # the 8 suites of the Salesforce, Pipedrive, Zoho and fxiaoke raw tables pass as skipped
    # the fixtures' three HubSpot deals in the 'partner' pipeline have stages the funnel map does not know, and the
    # export's D-005 has the channel 'Partner' that channel_map does not know: WARNs, recorded and reported, that
    # block nothing (3 of 18 deals left out and 1 unknown channel are below the 50 % limits)
    assert [(c.check, c.severity) for c in gx if not c.passed] == [
        ("gx_intermediate__int_deals__coverage", "WARN"), ("gx_raw_hubspot__deals", "WARN")]
    assert [c.summary for c in gx if not c.passed][1].endswith(
        "passed with warnings: 0 ERROR, 1 WARN of 11 expectations: WARN expect_column_values_to_be_in_set(dealstage): "
        "3 rows (values: 'partner_negotiation' ×1, 'partner_new' ×1, 'partner_won' ×1)")
    assert [c.summary for c in gx if not c.passed][0].endswith(
        "WARN expect_column_values_to_be_null(unknown_channel): 1 rows (values: 'channel Partner' ×1)")
    # ... which dbt's warn test sees too
    assert [(c.check, c.severity, c.summary) for c in full.checks if not c.is_gx and not c.passed] == [
        ("warn_source_stages_not_in_funnel_map", "WARN", "3 failing rows")]
    assert query(refreshed.resource.warehouse_path(), "select count(*) from marts.fct_deals") == [(13,)]
    report = refreshed.resource.quality_dir() / "gx" / "index.html"
    assert report.exists()


NEW_CRM_SUITES = ["gx_raw_pipedrive__deal_stage_changes", "gx_raw_pipedrive__deals",
                  "gx_raw_salesforce__opportunities", "gx_raw_salesforce__opportunity_history"]
FXIAOKE_SUITES = ["gx_raw_fxiaoke__deal_stage_changes", "gx_raw_fxiaoke__deals"]  # in name order, as the checks run
ZOHO_SUITES = ["gx_raw_zoho__deal_stage_history", "gx_raw_zoho__deals"]


def refresh_one_source(root: Path, source: str, fixture: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A refresh through Dagster with only `source`'s drop folder (a copy of `fixture`) and no HubSpot settings."""
    for name in ("FUNNELHOUSE_HUBSPOT_BASE_URL", "FUNNELHOUSE_HUBSPOT_TOKEN", "SOURCES__HUBSPOT__API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    inputs = root / "inputs"
    shutil.copytree(fixture, inputs / source)
    resource = FunnelhouseResource(warehouse=str(root / "warehouse.duckdb"), inputs_dir=str(inputs), as_of=AS_OF)
    outcome = run_refresh(resource, log_file=root / "refresh.log")
    return SimpleNamespace(inputs=inputs, resource=resource, outcome=outcome,
                           skipped={s.source: s.skipped for s in outcome.load_summaries},
                           gx_skipped=[c.check for c in outcome.checks if c.is_gx and ": skipped — " in c.summary])


def test_a_spreadsheets_only_refresh_is_green_and_publishes_the_serving_copy(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    run = refresh_one_source(tmp_path, "spreadsheets", FIXTURES / "spreadsheets" / "drop", monkeypatch)
    outcome = run.outcome
    assert outcome.success, outcome.error
    assert outcome.skipped == []
    assert run.skipped == {"forms": f"forms: skipped — no input files in {run.inputs / 'forms'}",
                           "spreadsheets": "", "hubspot": HUBSPOT_SKIPPED, "salesforce": SALESFORCE_SKIPPED,
                           "pipedrive": PIPEDRIVE_SKIPPED, "zoho": ZOHO_SKIPPED, "fxiaoke": FXIAOKE_SKIPPED}
    (sheets,) = [s for s in outcome.load_summaries if s.source == "spreadsheets"]
    assert (sheets.rows_read, sheets.rows_loaded, sheets.rows_quarantined) == (21, 14, 7)
    assert run.gx_skipped == ["gx_raw_forms__form_submissions", "gx_raw_forms__quarantine", *FXIAOKE_SUITES,
                              "gx_raw_hubspot__contacts", "gx_raw_hubspot__deals", *NEW_CRM_SUITES, *ZOHO_SUITES]
    assert [(c.check, c.severity) for c in outcome.failed_checks] == [("gx_intermediate__int_deals__coverage", "WARN")]
    # the marts hold the spreadsheets' 6 deals (3 tracker customers, export D-001, D-002, D-005) and are published
    assert "serving/funnelhouse_serving" in outcome.materialized
    assert query(run.resource.serving_file(), "select source, count(*) from marts.fct_deals group by 1 order by 1") == [
        ("export_en", 3), ("tracker_cn", 3)]


def test_a_forms_only_refresh_is_green_and_publishes_the_serving_copy(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    run = refresh_one_source(tmp_path, "forms", FIXTURES / "forms", monkeypatch)
    outcome = run.outcome
    assert outcome.success, outcome.error
    assert outcome.skipped == []
    assert run.skipped == {"forms": "", "spreadsheets": f"spreadsheets: skipped — no input files in "
                           f"{run.inputs / 'spreadsheets'}", "hubspot": HUBSPOT_SKIPPED,
                           "salesforce": SALESFORCE_SKIPPED, "pipedrive": PIPEDRIVE_SKIPPED, "zoho": ZOHO_SKIPPED,
                           "fxiaoke": FXIAOKE_SKIPPED}
    (forms,) = outcome.load_summaries[:1]
    assert (forms.source, forms.rows_read, forms.rows_loaded, forms.rows_quarantined) == ("forms", 15, 8, 7)
    assert outcome.file_errors == ["export/empty.jsonl: file is empty"]
    assert run.gx_skipped == [
        *FXIAOKE_SUITES, "gx_raw_hubspot__contacts", "gx_raw_hubspot__deals", *NEW_CRM_SUITES,
        "gx_raw_spreadsheets__export_deals",
        "gx_raw_spreadsheets__export_stage_changes", "gx_raw_spreadsheets__quarantine",
        "gx_raw_spreadsheets__tracker_deals", *ZOHO_SUITES]
    assert outcome.failed_checks == []
    assert "serving/funnelhouse_serving" in outcome.materialized
    # leads only: no deal; 8 rows loaded are 7 submissions (jinshuju's fhTrial-1 comes twice, identical, merged):
    # typeform tf1-tf3, jinshuju fhTrial-1 and -2, export WS-000001 and -2, each one lead
    assert query(run.resource.serving_file(), "select count(*) from marts.fct_deals") == [(0,)]
    assert query(run.resource.serving_file(), "select form_tool, count(*) from marts.fct_leads group by 1 "
                                              "order by 1") == [("export", 2), ("jinshuju", 2), ("typeform", 3)]


def test_full_refresh_then_incremental_leaves_identical_marts(refreshed: SimpleNamespace) -> None:
    assert refreshed.incremental.success, refreshed.incremental.error
    assert {s.source: s.rows_loaded for s in refreshed.incremental.load_summaries} == {
        "forms": 0, "spreadsheets": 0, "hubspot": 0, "salesforce": 0, "pipedrive": 0, "zoho": 0, "fxiaoke": 0}
    assert refreshed.incremental_marts.keys() == refreshed.full_marts.keys()
    differing = [t for t in refreshed.full_marts if refreshed.full_marts[t] != refreshed.incremental_marts[t]]
    assert differing == []


def test_a_failing_blocking_check_stops_the_marts_and_alerts(refreshed: SimpleNamespace, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = refreshed.resource.warehouse_path()
    before = marts_snapshot(warehouse)
    (original,) = query(warehouse, "select amount from raw_hubspot.deals where id = '5'")[0]
    with duckdb.connect(str(warehouse)) as connection:  # a negative amount: an ERROR expectation of the raw suite
        connection.execute("update raw_hubspot.deals set amount = -1000 where id = '5'")
    emulator = HubSpotEmulator(refreshed.inputs / "crm", token=TOKEN).start()
    resource = FunnelhouseResource(warehouse=str(warehouse), inputs_dir=str(refreshed.inputs), as_of=AS_OF,
                                   hubspot_base_url=emulator.base_url, hubspot_token=TOKEN)
    try:
        with HttpSink() as sink:
            monkeypatch.setenv("FUNNELHOUSE_ALERT_WEBHOOK_URL", sink.url("/hooks/funnelhouse"))
            outcome = run_refresh(resource, log_file=tmp_path / "blocked.log")
    finally:
        emulator.stop()
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute("update raw_hubspot.deals set amount = ? where id = '5'", [original])

    failed = [(c.check, c.asset, c.severity) for c in outcome.failed_checks]
    assert failed == [("gx_raw_hubspot__deals", "raw_hubspot/deals", "ERROR")]
    assert not outcome.success
    assert {key.split("/")[0] for key in outcome.materialized} == {"raw_forms", "raw_spreadsheets", "raw_hubspot",
                                                                   "raw_salesforce", "raw_pipedrive", "raw_zoho",
                                                                   "raw_fxiaoke"}
    assert "marts/mart_funnel_conversion" in outcome.skipped and "quality/data_quality_report" in outcome.skipped
    assert sorted(outcome.skipped) == sorted([*dbt_asset_keys(), "quality/data_quality_report", "quality/funnel_report",
                                              "serving/funnelhouse_serving", "serving/parquet_marts"])
    assert marts_snapshot(warehouse) == before  # the previous marts stay, readable
    alerts = [r.json for r in sink.requests if r.path == "/hooks/funnelhouse"]
    assert [a["kind"] for a in alerts] == ["check_failed"]
    # failing rows: the negative amount (ERROR) and the three partner-pipeline stages (WARN)
    assert alerts[0]["title"] == ("funnelhouse: check gx_raw_hubspot__deals failed on raw_hubspot/deals "
                                  "(4 failing rows, ERROR)")
    assert alerts[0]["facts"]["failing_rows"] == 4


def test_run_failure_sensor_alerts_with_the_job_and_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.alerts import alert_on_run_failure

    @dg.op
    def explode() -> None:
        raise RuntimeError("the warehouse file is locked by another process")

    @dg.job
    def nightly_refresh_stand_in() -> None:
        explode()

    instance = dg.DagsterInstance.ephemeral()
    result = nightly_refresh_stand_in.execute_in_process(instance=instance, raise_on_error=False)
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure", dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id), dagster_event=failure,
    ).for_run_failure()
    with HttpSink() as sink:
        monkeypatch.setenv("FUNNELHOUSE_ALERT_SLACK_WEBHOOK_URL", sink.url("/services/T000/B000/XXXX"))
        alert_on_run_failure(context)
    (request,) = sink.requests
    text = request.json["text"]
    assert text == (
        f"*funnelhouse: job nightly_refresh_stand_in failed (run {result.run_id[:8]})*\n"
        "Job: nightly_refresh_stand_in\n"
        f"Run: {result.run_id}\n"
        "Error: Execution of run for \"nightly_refresh_stand_in\" failed. Steps failed: ['explode']."
    )


def test_stale_deals_digest_goes_to_each_configured_channel(refreshed: SimpleNamespace,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with HttpSink() as sink:
        monkeypatch.setenv("FUNNELHOUSE_ALERT_WEBHOOK_URL", sink.url("/digest"))
        monkeypatch.setenv("FUNNELHOUSE_ALERT_WECOM_WEBHOOK_URL", sink.url("/cgi-bin/webhook/send?key=k-123"))
        outcome = run_refresh(refreshed.resource, job_name="stale_deals_digest",
                              log_file=refreshed.root / "digest.log")
    assert outcome.success, outcome.error
    assert outcome.materialized == ["quality/stale_deals_digest"]
    webhook = next(r.json for r in sink.requests if r.path == "/digest")
    wecom = next(r.json for r in sink.requests if r.path == "/cgi-bin/webhook/send")
    # every open deal is stale as of 2025-06-30: HubSpot 7, 11, 64, 77, 150 (EUR × 7.8), D-002 (Emily Chen,
    # 1,250,000), 深圳星河 (刘洋, 80万) and 广州云帆 (张伟, 12.5万); hubspot:77 is Grace Hopper's 52,000 EUR = 405,600
    assert webhook["kind"] == "stale_deals_digest"
    assert webhook["facts"] == {
        "as_of": AS_OF, "stale_deals": 8, "amount_reporting": 2950320.0, "reporting_currency": "CNY",
        "owners": [
            {"owner": "Ada Lovelace", "team": "West Sales", "stale_deals": 2, "amount_reporting": 257400.0},
            {"owner": "Grace Hopper", "team": "West Sales", "stale_deals": 2, "amount_reporting": 440700.0},
            {"owner": "Emily Chen", "team": "unknown", "stale_deals": 1, "amount_reporting": 1250000.0},
            {"owner": "刘洋", "team": "华南", "stale_deals": 1, "amount_reporting": 800000.0},
            {"owner": "张伟", "team": "华南", "stale_deals": 1, "amount_reporting": 125000.0},
            {"owner": "未分配 unassigned", "team": None, "stale_deals": 1, "amount_reporting": 77220.0},
        ],
    }
    assert wecom["msgtype"] == "markdown" and webhook["title"] in wecom["markdown"]["content"]
    digest_file = refreshed.resource.quality_dir() / "digests" / f"stale_deals_{AS_OF}.json"
    assert json.loads(digest_file.read_text(encoding="utf-8"))["title"] == webhook["title"]
