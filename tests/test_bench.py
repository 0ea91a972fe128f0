"""The bench as CI runs it: a smoke test at a tiny scale. It must finish, print the table, write the JSON and Markdown
results, and find the pipeline's numbers in the lower bound, the floor and pandas; the floor must read the HubSpot
pages the pipeline read and load the raw tables it loaded. Times are never asserted."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCALE = "0.1"  # the time is dbt's fixed cost (two builds of ~400 nodes), about the same at 0.1 and at 1
VARIANTS = {"lower_bound", "pipeline_full", "dbt_raw", "floor", "incremental", "pandas"}
RATIOS = ["full refresh ÷ floor", "  the same in CPU seconds", "full refresh ÷ lower bound",
          "  the same in CPU seconds", "night with 1 % changed ÷ full refresh",
          "pandas ÷ night", "HubSpot ingestion ÷ bare client on the same pages", "  the same in CPU seconds",
          "HubSpot requests for a night at 1M deals", "peak memory of any step", "dbt build ÷ the same SQL run raw",
          "  dbt after parsing ÷ raw"]
GOALS = {"full refresh ÷ floor": "≤ 1.5×", "full refresh ÷ lower bound": "≤ 10×",
         "night with 1 % changed ÷ full refresh": "≤ 5 %", "pandas ÷ night": "≥ 10×",
         "HubSpot ingestion ÷ bare client on the same pages": "≤ 1.25×",
         "HubSpot requests for a night at 1M deals": "≤ 400", "peak memory of any step": "≤ 1.5 GiB"}
PIPELINE_STEPS = {"ingest_forms", "ingest_spreadsheets", "ingest_hubspot", "dbt_build", "checks"}
FLOOR_STEPS = {"hubspot_download", "load_forms", "load_spreadsheets", "load_hubspot", "dbt_sql"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "FUNNELHOUSE_DATA_DIR": str(root / "data"), "COLUMNS": "160"}
    for name in ("FUNNELHOUSE_WAREHOUSE", "FUNNELHOUSE_INPUTS", "FUNNELHOUSE_PIPELINES_DIR"):
        env.pop(name, None)
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", SCALE, "--work", str(root / "work"),
         "--results-dir", str(root / "results")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    return root, completed


def test_bench_finishes_and_prints_the_table(bench_run) -> None:
    _, completed = bench_run
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    out = completed.stdout
    assert f"funnelhouse bench, scale {SCALE}" in out
    for label in ("lower bound (SQL on raw files)", "pipeline, full refresh", "dbt build", "dbt's SQL run raw",
                  "floor (native readers, bare client, dbt's SQL)", "HubSpot pages, bare client",
                  "incremental night", "pandas on raw files", "CPU s", "peak RSS MiB", "rows/s"):
        assert label in out, label
    for ratio in RATIOS:
        assert ratio.strip() in out, ratio
    assert out.count("equal to the pipeline's marts (11/11 checks)") == 3  # lower bound, floor, pandas
    assert "floor's raw tables: " in out and "equal to the pipeline's, row by row" in out
    assert "Results written to" in out


def test_bench_writes_json_and_markdown_with_the_expected_keys(bench_run) -> None:
    root, completed = bench_run
    assert completed.returncode == 0, completed.stderr[-5000:]
    json_files = sorted((root / "results").glob(f"*_scale{SCALE}.json"))
    md_files = sorted((root / "results").glob(f"*_scale{SCALE}.md"))
    assert len(json_files) == 1 and len(md_files) == 1
    assert not list((root / "results").glob("*.tmp"))
    text = json_files[0].read_text(encoding="utf-8")
    assert str(root) not in text and '"work_dir": "<work>"' in text  # no machine paths in shared results
    results = json.loads(text)
    assert results["machine"]["cores"] >= 1
    assert results["machine"]["memory_bytes"] > 0
    assert results["machine"]["packages"]["duckdb"]
    assert set(results["variants"]) == VARIANTS
    for name, variant in results["variants"].items():
        assert variant["seconds"] > 0, name
        assert variant["peak_rss_bytes"] > 0, name
        assert variant["max_rss_bytes"]["self"] > 0, name
        assert variant["cpu_seconds"] > 0, name
    full = results["variants"]["pipeline_full"]
    assert set(full["steps"]) == PIPELINE_STEPS
    for name in ("pipeline_full", "incremental", "floor"):  # every step: wall seconds, CPU seconds, peak memory
        variant = results["variants"][name]
        assert set(variant["steps"]) == (FLOOR_STEPS if name == "floor" else PIPELINE_STEPS), name
        assert set(variant["step_cpu_seconds"]) == set(variant["step_peak_rss_bytes"]) == set(variant["steps"])
        assert all(peak > 0 for peak in variant["step_peak_rss_bytes"].values()), name
        assert all(cpu >= 0 for cpu in variant["step_cpu_seconds"].values()), name
        assert variant["cpu_seconds"] == pytest.approx(sum(variant["step_cpu_seconds"].values()), abs=0.01)
    assert full["dbt"]["per_kind"]["model"]["nodes"] > 0
    summary = results["summary"]
    assert [ratio["ratio"] for ratio in summary["ratios"]] == RATIOS
    assert all(ratio["value"] is not None for ratio in summary["ratios"])
    assert {r["ratio"]: r["goal"] for r in summary["ratios"] if r["goal"] != "(info)"} == GOALS
    assert all(isinstance(r["met"], bool) for r in summary["ratios"] if r["goal"] != "(info)")
    assert set(summary["step_peak_rss_bytes"]) == {f"{run}.{step}" for run in ("pipeline_full", "incremental")
                                                   for step in PIPELINE_STEPS}
    peak = next(r for r in summary["ratios"] if r["ratio"] == "peak memory of any step")
    assert peak["value"] == max(summary["step_peak_rss_bytes"].values())
    assert set(summary["rows_per_second"]) == {"forms", "spreadsheets", "hubspot"}
    assert all(entry["rows_loaded"] > 0 for entry in summary["rows_per_second"].values())
    night = results["variants"]["incremental"]
    assert night["changes"]["hubspot"]["changed"] >= 1
    assert night["sources"]["forms"]["rows_loaded"] == night["changes"]["forms"]["rows"]  # only the new file
    # the night builds as the refresh does (funnelhouse.build_plan): what is below the new loads, not every node;
    # the seeds and the models of sources without a new load (none here: all three got one) are not rebuilt
    full_nodes, night_nodes = results["variants"]["pipeline_full"]["dbt_nodes_built"], night["dbt_nodes_built"]
    assert 0 < night_nodes < full_nodes, (night_nodes, full_nodes)
    assert summary["equal"] == {"lower_bound": True, "floor": True, "pandas": True}
    for outcome in results["equality"].values():
        assert outcome["checks"] and all(check["equal"] for check in outcome["checks"])
    markdown = md_files[0].read_text(encoding="utf-8")
    assert "| full refresh ÷ floor |" in markdown and "| full refresh ÷ lower bound |" in markdown
    assert "## HubSpot requests" in markdown
    assert "## Same numbers?" in markdown


def test_the_floor_reads_the_pipelines_pages_and_loads_its_raw_rows(bench_run) -> None:
    root, completed = bench_run
    assert completed.returncode == 0, completed.stderr[-5000:]
    results = json.loads(sorted((root / "results").glob(f"*_scale{SCALE}.json"))[0].read_text(encoding="utf-8"))
    floor, pages = results["variants"]["floor"], results["summary"]["hubspot_requests"]
    # scale 0.1: every listing fits one page (≤ 50 objects, ≤ 100 owners): deals, contacts and companies live and
    # archived (6), owners live and archived (2), the deal pipelines (1) = 9 requests, each a page of the floor's
    assert pages["full_refresh"] == pages["floor"] == pages["floor_client_pages"] == 9
    assert pages["floor_paths"] == pages["full_refresh_paths"] == {
        "/crm/v3/objects/companies": 2, "/crm/v3/objects/contacts": 2, "/crm/v3/objects/deals": 2,
        "/crm/v3/owners": 2, "/crm/v3/pipelines/deals": 1}
    assert pages["same_pages"] is True
    assert floor["hubspot_pages"]["listings"]["deals_live"]["pages"] == 1
    # the night's requests scaled to 1M deals at the measured rate per deal (40 deals in the data set)
    assert pages["deals_in_inputs"] == 40 and pages["night"] > 0
    assert pages["night_at_1m_deals"] == round(pages["night"] * 1_000_000 / 40)
    # the raw tables equal the pipeline's row by row (manifest: 20 HubSpot deals, 8 + 6 tracker
    # deals, 29 + 28 + 23 form submissions less the one truncated line)
    raw = results["summary"]["floor_raw_rows"]
    assert raw["different"] == []
    assert {name: (raw["tables"][name]["pipeline_rows"], raw["tables"][name]["floor_rows"]) for name in (
        "raw_hubspot.deals", "raw_spreadsheets.tracker_deals", "raw_forms.form_submissions")} == {
        "raw_hubspot.deals": (20, 20), "raw_spreadsheets.tracker_deals": (14, 14),
        "raw_forms.form_submissions": (79, 79)}
    assert floor["rows_quarantined"] == {"raw_forms": 1, "raw_spreadsheets": 0, "raw_hubspot": 0}  # a truncated line
    # every model of the pipeline's build run from its compiled SQL, every data test passing
    assert floor["dbt"]["models"] == results["variants"]["pipeline_full"]["dbt"]["per_kind"]["model"]["nodes"]
    assert floor["dbt"]["data_tests"] > 0 and floor["dbt"]["failing_tests"] == 0
    assert floor["xlsx_reader"]["reader"] in ("python_calamine", "fastexcel", "openpyxl")


def test_the_equality_check_reports_a_difference(bench_run, tmp_path: Path) -> None:
    """A changed deal in the lower bound's marts is named, not hidden."""
    import duckdb

    from bench import compare

    root, completed = bench_run
    assert completed.returncode == 0, completed.stderr[-5000:]
    copy = tmp_path / "lower_bound.duckdb"
    shutil.copy2(root / "work" / "lower_bound" / "lower_bound.duckdb", copy)
    with duckdb.connect(str(copy)) as connection:
        deal_id = connection.execute("select min(deal_id) from fct_deals where is_lost").fetchone()[0]
        connection.execute("update fct_deals set loss_reason_code = 'bench-test' where deal_id = ?", [deal_id])
        connection.execute("delete from mart_stale_deals where deal_id = (select min(deal_id) from mart_stale_deals)")
    outcome = compare.compare(compare.relations_from_parquet(root / "work" / "pipeline" / "marts_full"),
                              compare.relations_from_database("lb"), {"lb": copy})
    assert not outcome["equal"]
    failed = {check["check"]: check["differences"] for check in outcome["checks"] if not check["equal"]}
    assert set(failed) == {"fct_deals: row by row", "stale deals: count", "stale deals: row by row"}
    assert deal_id in " ".join(failed["fct_deals: row by row"])


def test_funnelhouse_bench_command_has_help() -> None:
    from typer.testing import CliRunner

    from funnelhouse.cli import app

    result = CliRunner().invoke(app, ["bench", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "--scale" in result.output
