"""The bench as CI runs it: a smoke test at a tiny scale. It must finish, print the table, write the JSON and Markdown
results, and find the pipeline's numbers in the lower bound and in pandas. Times are never asserted."""
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
VARIANTS = {"lower_bound", "pipeline_full", "dbt_raw", "incremental", "pandas"}
RATIOS = ["pipeline ÷ lower bound", "dbt build ÷ the same SQL run raw", "  dbt after parsing ÷ raw",
          "incremental ÷ full refresh", "pandas ÷ pipeline", "peak memory of the pipeline"]

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
                  "incremental night", "pandas on raw files", "peak RSS MiB", "rows/s"):
        assert label in out, label
    for ratio in RATIOS:
        assert ratio.strip() in out, ratio
    assert "equal to the pipeline's marts (11/11 checks)" in out
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
    full = results["variants"]["pipeline_full"]
    assert set(full["steps"]) == {"ingest_forms", "ingest_spreadsheets", "ingest_hubspot", "dbt_build", "checks"}
    assert set(full["step_peak_rss_bytes"]) == set(full["steps"])
    assert all(peak > 0 for peak in full["step_peak_rss_bytes"].values())
    assert full["dbt"]["per_kind"]["model"]["nodes"] > 0
    summary = results["summary"]
    assert [ratio["ratio"] for ratio in summary["ratios"]] == RATIOS
    assert all(ratio["value"] is not None for ratio in summary["ratios"])
    assert set(summary["rows_per_second"]) == {"forms", "spreadsheets", "hubspot"}
    assert all(entry["rows_loaded"] > 0 for entry in summary["rows_per_second"].values())
    night = results["variants"]["incremental"]
    assert night["changes"]["hubspot"]["changed"] >= 1
    assert night["sources"]["forms"]["rows_loaded"] == night["changes"]["forms"]["rows"]  # only the new file
    assert summary["equal"] == {"lower_bound": True, "pandas": True}
    for outcome in results["equality"].values():
        assert outcome["checks"] and all(check["equal"] for check in outcome["checks"])
    markdown = md_files[0].read_text(encoding="utf-8")
    assert "| pipeline ÷ lower bound |" in markdown
    assert "## Same numbers?" in markdown


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
