"""dbt costs only what changed, counted in dbt nodes run (the run_results.json of each refresh's dbt invocation):
a refresh with nothing new runs none, a night with one new forms file runs the forms-downstream set, and a build
killed half way is redone whole by the next refresh.

Starts from a copy of the session's fixture build (loaded and built as of 2025-06-30 by funnelhouse.transform's
dbt_build, which records what it saw in dbt_state.builds), then refreshes through Dagster:
  same     the same inputs, the same as-of day
  forms    a new export file with one lead (WS-900001)
  again    the same inputs again
  killed   a second new file (WS-900002), `funnelhouse refresh` killed (-9) once dbt created a table
  redo     the same inputs: the killed build is redone
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from support.inputs import FIXTURE_AS_OF, TOKEN
from support.warehouse import query

FUNNELHOUSE = str(Path(sys.executable).parent / "funnelhouse")
PROJECT = Path(__file__).resolve().parents[1]
# source:forms.form_submissions+ without unit tests (the manifest's child_map, by hand the same):
#   36 models: stg_forms__form_submissions; int_forms__people and int_forms__companies (forms in the canonical
#   person and company shapes), int_leads, int_person_identities, int_company_identities,
#   int_companies, int_deal_links, int_deals, the 7 int_forecast__* models; dim_company, dim_date, fct_leads,
#   fct_deals, fct_deal_stage_events, fct_pipeline_daily_snapshot and the 14 mart_* models but the 4 of dims below
#   and 196 data tests of those models (int_deal_links: unique and not_null deal_id);
# plus 3 models the serving copy reads and forms do not reach (dim_channel, dim_owner, dim_stage: Dagster skips an
# asset when one of its inputs was not materialized in the run, so they are rebuilt too), without their tests
FORMS_NIGHT = {"model": 39, "test": 196}


def nodes_run(outcome, target: Path) -> Counter:
    """Nodes of each resource type in the run_results.json of the run's dbt invocation (none: no invocation)."""
    folders = list(target.glob(f"dbt_models-{outcome.run_id[:7]}-*"))
    if not folders:
        return Counter()
    (folder,) = folders
    results = json.loads((folder / "run_results.json").read_text(encoding="utf-8"))["results"]
    return Counter(kind for kind in (result["unique_id"].split(".")[0] for result in results)
                   if kind in ("model", "seed", "snapshot", "test"))  # not the on-run-end hook


def run_ids(outcome, target: Path) -> set[str]:
    (folder,) = target.glob(f"dbt_models-{outcome.run_id[:7]}-*")
    return {r["unique_id"] for r in json.loads((folder / "run_results.json").read_text(encoding="utf-8"))["results"]}


def new_lead(inputs: Path, name: str, submission: str) -> None:
    (inputs / "forms" / "export" / name).write_text(json.dumps(
        {"submission_id": submission, "submitted_at": "2025-06-01 09:00:00", "email": f"{submission}@example.com",
         "form": "website_contact"}) + "\n", encoding="utf-8")


def killed_refresh(root: Path, env: dict[str, str]) -> None:
    """`funnelhouse refresh` in its own process group, killed with -9 once dbt created its first table."""
    logs = root / "data" / "dagster" / "logs"
    process = subprocess.Popen([FUNNELHOUSE, "refresh"], env=env, cwd=root, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, "the refresh ended before dbt created a table"
            if any("OK created sql table model" in log.read_text(encoding="utf-8", errors="replace")
                   for log in logs.glob("refresh-*.log")):
                break
            time.sleep(0.1)
        else:
            pytest.fail("dbt created no table within 300 s")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def nights(fixture_build: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    from emulators.hubspot.server import HubSpotEmulator
    from funnelhouse.transform import DBT_PROJECT_DIR
    from orchestration.refresh import run_refresh
    from orchestration.resources import FunnelhouseResource

    root = tmp_path_factory.mktemp("dbt_selection")
    data = root / "data"
    shutil.copytree(fixture_build.root / "inputs", data / "inputs")
    shutil.copytree(fixture_build.root / "pipelines", root / "pipelines")
    shutil.copyfile(fixture_build.warehouse, data / "funnelhouse.duckdb")
    target = DBT_PROJECT_DIR / "target"
    emulator = HubSpotEmulator(data / "inputs" / "crm", token=TOKEN).start()
    resource = FunnelhouseResource(warehouse=str(data / "funnelhouse.duckdb"), inputs_dir=str(data / "inputs"),
                                   as_of=FIXTURE_AS_OF, hubspot_base_url=emulator.base_url, hubspot_token=TOKEN)
    runs, counts, leads = {}, {}, {}
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("FUNNELHOUSE_PIPELINES_DIR", str(root / "pipelines"))

            def refresh(name: str) -> None:
                runs[name] = run_refresh(resource, log_file=root / f"{name}.log")
                counts[name] = nodes_run(runs[name], target)
                served = resource.serving_file()
                leads[name] = (query(resource.warehouse_path(), "select count(*) from marts.fct_leads")[0][0],
                               query(served, "select count(*) from marts.fct_leads")[0][0] if served.exists() else None)

            refresh("same")
            new_lead(data / "inputs", "website_leads_2025-06.jsonl", "WS-900001")
            refresh("forms")
            refresh("again")
            new_lead(data / "inputs", "website_leads_2025-06b.jsonl", "WS-900002")
            env = {**os.environ, "FUNNELHOUSE_DATA_DIR": str(data), "FUNNELHOUSE_AS_OF": FIXTURE_AS_OF,
                   "FUNNELHOUSE_HUBSPOT_BASE_URL": emulator.base_url, "FUNNELHOUSE_HUBSPOT_TOKEN": TOKEN,
                   "PYTHONPATH": str(PROJECT)}
            for name in ("FUNNELHOUSE_WAREHOUSE", "FUNNELHOUSE_INPUTS"):
                env.pop(name, None)
            killed_refresh(root, env)
            refresh("redo")
    finally:
        emulator.stop()
    return SimpleNamespace(root=root, resource=resource, runs=runs, counts=counts, leads=leads, target=target)


def small_manifest() -> dict:
    """A dbt graph small enough to count by hand: raw_a.t -> stg_a (view, test t1) -> int_x (table, also reads
    seed s1) -> mart_y (table, reads the as-of day, also reads stg_b, test t2); raw_b.u -> stg_b (view);
    raw_a.reconciliation -> stg_r (a view, nothing below)."""
    def node(kind: str, name: str, parents: list[str], materialized: str = "table", code: str = "") -> tuple:
        return f"{kind}.p.{name}", {"resource_type": kind, "name": name, "fqn": ["p", name], "raw_code": code,
                                     "config": {"materialized": materialized},
                                     "depends_on": {"nodes": parents, "macros": ["macro.p.as_of_date"] if code
                                                    else []}}
    nodes = dict([
        node("seed", "s1", []), node("model", "stg_a", ["source.p.a.t"], "view"),
        node("model", "stg_b", ["source.p.b.u"], "view"), node("model", "stg_r", ["source.p.a.r"], "view"),
        node("model", "int_x", ["model.p.stg_a", "seed.p.s1"]),
        node("model", "mart_y", ["model.p.int_x", "model.p.stg_b"], code="select {{ as_of_date() }}"),
        node("test", "t1", ["model.p.stg_a"]), node("test", "t2", ["model.p.mart_y"])])
    children: dict[str, list[str]] = {}
    for uid, props in nodes.items():
        for parent in props["depends_on"]["nodes"]:
            children.setdefault(parent, []).append(uid)
    sources = {f"source.p.{source}.{table}": {"schema": f"raw_{source}", "name": name, "source_name": source,
                                              "identifier": name}
               for source, table, name in (("a", "t", "t"), ("b", "u", "u"), ("a", "r", "reconciliation"))}
    macros = {"macro.p.as_of_day": {"macro_sql": "{% set value = var('as_of', none) %}", "depends_on": {"macros": []}},
              "macro.p.as_of_date": {"macro_sql": "cast({{ as_of_day() }} as date)",
                                     "depends_on": {"macros": ["macro.p.as_of_day"]}}}
    return {"nodes": nodes, "sources": sources, "macros": macros, "child_map": children}


def test_the_plan_builds_below_new_loads_changed_seeds_and_a_new_as_of_day() -> None:
    from funnelhouse.build_plan import BuildState, plan_build

    manifest = small_manifest()
    before = BuildState(tables={"raw_a.t": ["1", 3, None], "raw_b.u": ["1", 2, None],
                                "raw_a.reconciliation": ["1", 3, None]},
                        seeds={"s1": "aaa"}, project="p1", as_of="2025-06-30")

    def plan(**changes) -> tuple[bool, list[str]]:
        after = BuildState(**{**before.__dict__, **changes})
        built = plan_build(manifest, before, after, "run-1")
        return built.full, sorted(uid.split(".")[-1] for uid in built.nodes)

    assert plan() == (False, [])
    # a new load of raw_a.t: stg_a, its test t1, int_x, mart_y and its test t2
    assert plan(tables={**before.tables, "raw_a.t": ["2", 4, None]}) == (False, ["int_x", "mart_y", "stg_a", "t1",
                                                                               "t2"])
    # a reconciliation row more: only a view reads it, it reads the new row without a rebuild
    assert plan(tables={**before.tables, "raw_a.reconciliation": ["2", 6, None]}) == (False, [])
    assert plan(seeds={"s1": "bbb"}) == (False, ["int_x", "mart_y", "s1", "t2"])
    assert plan(as_of="2025-07-01") == (False, ["mart_y", "t2"])  # mart_y reads it through as_of_date()
    assert plan(project="p2") == (True, ["int_x", "mart_y", "s1", "stg_a", "stg_b", "stg_r", "t1", "t2"])
    assert plan_build(manifest, None, before).full  # nothing recorded yet: everything


def test_a_table_reloaded_whole_with_the_same_rows_is_not_a_change(tmp_path: Path) -> None:
    from funnelhouse.build_plan import table_changed, table_states

    tables = ["raw_x.pipelines", "raw_x.deals", "raw_x.deals__teams"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("create schema raw_x")
        connection.execute("create table raw_x.pipelines (id varchar, label varchar, _dlt_load_id varchar, "
                           "_dlt_id varchar)")
        connection.execute("insert into raw_x.pipelines values ('p1', 'Sales', '1', 'a'), ('p2', 'Partner', '1', 'b')")
        connection.execute("create table raw_x.deals (id varchar, amount integer, _dlt_load_id varchar, "
                           "_dlt_id varchar)")
        connection.execute("insert into raw_x.deals values ('d1', 10, '1', 'c'), ('d2', 20, '1', 'd')")
        connection.execute("create table raw_x.deals__teams (team varchar, _dlt_root_id varchar, "
                           "_dlt_parent_id varchar, _dlt_list_idx integer, _dlt_id varchar)")
        connection.execute("insert into raw_x.deals__teams values ('west', 'c', 'c', 0, 'e')")
        first = table_states(connection, tables)
        # the nested table takes its root's load id; both tables were loaded whole in load 1: digests kept
        assert [first[t][:2] for t in tables] == [["1", 2], ["1", 2], ["1", 1]]

        def reload_pipelines(second_label: str, load_id: str) -> dict:
            connection.execute("delete from raw_x.pipelines")
            connection.execute(f"insert into raw_x.pipelines values ('p1', 'Sales', '{load_id}', 'x{load_id}'), "
                               f"('p2', '{second_label}', '{load_id}', 'y{load_id}')")
            return table_states(connection, tables, first)

        same = reload_pipelines("Partner", "2")  # HubSpot's pipelines: reloaded each run, new load and row ids
        assert same["raw_x.pipelines"][0] == "2" and not table_changed(first["raw_x.pipelines"],
                                                                       same["raw_x.pipelines"])
        renamed = reload_pipelines("Partners", "3")
        assert table_changed(first["raw_x.pipelines"], renamed["raw_x.pipelines"])
        # a merge of one changed deal: a new load id on part of the rows is a change, for the nested table too
        connection.execute("update raw_x.deals set amount = 11, _dlt_load_id = '4' where id = 'd1'")
        merged = table_states(connection, tables, first)
        assert table_changed(first["raw_x.deals"], merged["raw_x.deals"])
        assert table_changed(first["raw_x.deals__teams"], merged["raw_x.deals__teams"])
        again = table_states(connection, tables, merged)  # the next run, nothing loaded
        assert not any(table_changed(merged[t], again[t]) for t in tables)


def test_builds_that_did_not_finish_are_redone(tmp_path: Path) -> None:
    from funnelhouse.build_plan import BuildState, forget_builds, last_build, plan_build, record_build

    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        assert last_build(connection) is None  # nothing recorded yet
        record_build(connection, BuildState(as_of="2025-06-29"), "run-1")
        record_build(connection, BuildState(as_of="2025-06-30"), "run-2")
        assert last_build(connection)[:2] == ("run-2", BuildState(as_of="2025-06-30"))
        # run-2's checks or publishing failed after its build (or it was killed then): compare with run-1's build,
        # and redo what run-2 built
        assert last_build(connection, finished_badly=lambda run: run == "run-2") == (
            "run-1", BuildState(as_of="2025-06-29"), [BuildState(as_of="2025-06-30")])
        # run-3 started a build and was killed half way: its row stays `started`
        record_build(connection, BuildState(as_of="2025-07-01"), "run-3", status="started")
        assert last_build(connection) == ("run-2", BuildState(as_of="2025-06-30"), [BuildState(as_of="2025-07-01")])
        record_build(connection, BuildState(as_of="2025-07-01"), "run-3")  # it finished after all
        assert last_build(connection) == ("run-3", BuildState(as_of="2025-07-01"), [])
        assert last_build(connection, finished_badly=lambda run: True) is None
        forget_builds(connection)  # a build nobody planned (`funnelhouse build`) started: the next one is full
        assert last_build(connection) is None
    # the small graph: a build killed after the as-of day moved back to 2025-06-30 is redone on 2025-06-30 too
    manifest = small_manifest()
    before = BuildState(tables={}, seeds={"s1": "aaa"}, project="p1", as_of="2025-06-30")
    killed = BuildState(tables={}, seeds={"s1": "aaa"}, project="p1", as_of="2025-07-01")
    assert sorted(plan_build(manifest, before, before, "run-1").nodes) == []
    assert sorted(uid.split(".")[-1] for uid in plan_build(manifest, before, before, "run-1", since=[killed]).nodes
                  ) == ["mart_y", "t2"]


def test_dbt_build_changed_only_runs_nothing_on_the_build_it_follows(fixture_build: SimpleNamespace,
                                                                    tmp_path: Path) -> None:
    from funnelhouse.transform import dbt_build
    from support.inputs import copy_project

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(fixture_build.warehouse, warehouse)
    project = copy_project(fixture_build.project, tmp_path / "dbt_project")
    # the fixture build recorded what it saw; nothing changed since: no dbt node runs (no run_results.json)
    assert dbt_build(warehouse, as_of=FIXTURE_AS_OF, project_dir=project, changed_only=True) == {}
    assert not (project / "target" / "run_results.json").exists()


def test_a_refresh_with_nothing_new_runs_no_dbt_node(nights: SimpleNamespace) -> None:
    for name in ("same", "again"):
        outcome = nights.runs[name]
        assert outcome.success, outcome.error
        assert {s.source: s.rows_loaded for s in outcome.load_summaries} == {
            "forms": 0, "spreadsheets": 0, "hubspot": 0, "salesforce": 0, "pipedrive": 0, "zoho": 0, "fxiaoke": 0}
        assert nights.counts[name] == Counter()  # no dbt invocation at all
        # no dbt asset reported as materialized: the raw tables only (every one, each run; the unconfigured
        # Salesforce, Pipedrive, Zoho and fxiaoke report theirs with nothing loaded)
        assert {key.split("/")[0] for key in outcome.materialized} == {
            "raw_forms", "raw_spreadsheets", "raw_hubspot", "raw_salesforce", "raw_pipedrive", "raw_zoho",
            "raw_fxiaoke"}
    # the fixtures' 16 leads (typeform 3, jinshuju 2, export 2, HubSpot contacts 9), no serving copy published yet
    assert nights.leads["same"] == (16, None)


def test_a_night_with_one_new_forms_file_runs_the_forms_downstream_set(nights: SimpleNamespace) -> None:
    outcome = nights.runs["forms"]
    assert outcome.success, outcome.error
    assert {s.source: s.rows_loaded for s in outcome.load_summaries} == {
        "forms": 1, "spreadsheets": 0, "hubspot": 0, "salesforce": 0, "pipedrive": 0, "zoho": 0, "fxiaoke": 0}
    assert nights.counts["forms"] == Counter(FORMS_NIGHT)
    ran = run_ids(outcome, nights.target)
    assert {"model.funnelhouse.stg_forms__form_submissions", "model.funnelhouse.fct_leads",
            "model.funnelhouse.dim_owner"} <= ran
    assert not {"model.funnelhouse.stg_hubspot__deals", "model.funnelhouse.int_deal_stage_changes",
                "model.funnelhouse.stg_spreadsheets__tracker_deals"} & ran
    materialized = {key for key in outcome.materialized if key.split("/")[0] in ("staging", "intermediate",
                                                                                 "marts", "funnel_config")}
    assert len(materialized) == FORMS_NIGHT["model"]  # exactly the models dbt ran are reported
    # the lead reached the marts and the copy BI tools read: the fixtures' 16 leads and WS-900001
    assert "serving/funnelhouse_serving" in outcome.materialized
    assert nights.leads["forms"] == (17, 17)


def test_a_killed_build_is_redone_whole_by_the_next_refresh(nights: SimpleNamespace) -> None:
    outcome = nights.runs["redo"]
    assert outcome.success, outcome.error
    # the killed refresh loaded WS-900002 and built part of the forms-downstream set: this one loads nothing and
    # builds that whole set again
    assert [s.rows_loaded for s in outcome.load_summaries] == [0] * 7  # Salesforce, Pipedrive, Zoho, fxiaoke skipped
    assert nights.counts["redo"] == Counter(FORMS_NIGHT)
    assert nights.leads["redo"] == (18, 18)  # and WS-900002
    with duckdb.connect(str(nights.resource.warehouse_path()), read_only=True) as connection:
        # one row per build: the fixture build's, the forms night's, the killed one's (started, never built: the
        # redo compared with the forms night's and added what the killed one saw) and the redo's
        assert connection.execute("select status from dbt_state.builds order by built_at").fetchall() == [
            ("built",), ("built",), ("started",), ("built",)]
