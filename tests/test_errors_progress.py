"""Progress on every long step, as plain lines when stdout is not a terminal: the refresh per asset (done / total,
rows, elapsed), ingestion rows per second, the first-run environment build by stage (run.py)."""
from __future__ import annotations

import importlib.util
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emulators.hubspot import HubSpotEmulator
from funnelhouse.cli import app
from orchestration.progress import RefreshProgress, asset_text, progress_line

ROOT = Path(__file__).resolve().parents[1]


CRM_TABLES = {"salesforce": ["accounts", "contacts", "leads", "opportunities", "opportunity_history",
                              "opportunity_stages", "quarantine", "reconciliation", "users"],
              "pipedrive": ["deal_stage_changes", "deals", "organizations", "persons", "pipelines", "quarantine",
                            "reconciliation", "stages", "users"],
              "zoho": ["accounts", "contacts", "deal_stage_history", "deals", "deleted_records", "leads", "quarantine",
                       "reconciliation", "stages", "users"],
              "fxiaoke": ["companies", "crm_spec", "deal_stage_changes", "deals", "owners", "people", "quarantine",
                          "reconciliation"]}


def timeless(line: str) -> str:
    """Elapsed times and rates vary from run to run: replaced by <t>."""
    line = re.sub(r"\d+(\.\d)? s elapsed", "<t> s elapsed", line)
    line = re.sub(r"[\d,]+ rows/s", "<r> rows/s", line)
    return re.sub(r"· [\d.]+ s$", "· <t> s", line)


def test_a_refresh_prints_one_line_per_asset_when_not_on_a_terminal(tmp_path: Path, fixtures_dir: Path,
                                                                       capsys, monkeypatch) -> None:
    """Forms from the typeform fixture (5 rows read: 3 loaded, 2 quarantined), spreadsheets without input (skipped),
    HubSpot with a wrong token (its step fails, so dbt and the checks do not run: the test takes seconds)."""
    from orchestration.refresh import run_refresh
    from orchestration.resources import FunnelhouseResource

    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    shutil.copytree(fixtures_dir / "forms" / "typeform", tmp_path / "inputs" / "forms" / "typeform")
    with HubSpotEmulator(fixtures_dir / "hubspot", token="the-right-token") as emulator:
        resource = FunnelhouseResource(as_of="2025-06-30", inputs_dir=str(tmp_path / "inputs"),
                                       warehouse=str(tmp_path / "w.duckdb"), hubspot_base_url=emulator.base_url,
                                       hubspot_token="wrong")
        outcome = run_refresh(resource, log_file=tmp_path / "refresh.log")
    lines = capsys.readouterr().out.splitlines()
    assert not outcome.success
    total = len(outcome.materialized) + len(outcome.skipped)  # 122 assets planned
    assert timeless(lines[-1]) == f"refresh finished: 53/{total} assets materialized · 5 rows · <t> s"
    # the order of assets within a step is Dagster's: compare without the running count
    shown = sorted(re.sub(r"^refresh +\d+/", "refresh n/", timeless(line)) for line in lines[:-1])
    spreadsheets = ["companies", "deal_attributes", "deal_stage_dates", "deals", "export_deals",
                    "export_stage_changes", "lead_attributes", "leads", "marketing_spend", "owners", "products",
                    "quarantine", "reconciliation", "tracker_deals"]
    assert shown == sorted(
        [f"refresh n/{total} assets · raw_forms/form_submissions · 3 rows · <t> s elapsed",
         f"refresh n/{total} assets · raw_forms/quarantine · 2 rows · <t> s elapsed",
         f"refresh n/{total} assets · raw_forms/reconciliation · 5 rows, <r> rows/s · <t> s elapsed",
         f"refresh n/{total} assets · step ingest_hubspot failed · <t> s elapsed"]
        + [f"refresh n/{total} assets · raw_spreadsheets/{table} · skipped · <t> s elapsed" for table in spreadsheets]
        + [f"refresh n/{total} assets · raw_{source}/{table} · skipped · <t> s elapsed"
           for source, tables in CRM_TABLES.items() for table in tables])
    counts = [int(re.match(r"refresh +(\d+)/", line)[1]) for line in lines[:-1]]
    # 3 forms tables + 14 spreadsheet tables + 9 of Salesforce, 9 of Pipedrive, 10 of Zoho and 8 of the YAML CRM
    # fxiaoke (not configured), each counted once
    assert sorted(set(counts)) == list(range(1, 54))
    assert "Execution of step" not in "\n".join(lines)  # Dagster's own logs went to the log file
    assert "STEP_FAILURE" in (tmp_path / "refresh.log").read_text(encoding="utf-8")


def test_progress_lines_from_metadata() -> None:
    assert progress_line(7, 122, "raw_forms/leads · 15 rows", 3.25) == (
        "refresh   7/122 assets · raw_forms/leads · 15 rows · 3.2 s elapsed")
    # 800 rows read in 2 s: 400 rows/s
    assert asset_text("raw_forms/reconciliation", {"rows_read": 800, "seconds": 2.0, "rows_loaded_this_run": 0}) == (
        "raw_forms/reconciliation · 800 rows, 400 rows/s")
    assert asset_text("raw_hubspot/deals", {"skipped": "hubspot: skipped — ...", "rows_loaded_this_run": 0}) == (
        "raw_hubspot/deals · skipped")
    assert asset_text("marts/fct_deals", {"dagster/row_count": 1234}) == "marts/fct_deals · 1,234 rows"
    assert asset_text("marts/fct_deals", {}) == "marts/fct_deals"


def test_no_terminal_means_no_live_display() -> None:
    stream = io.StringIO()
    with RefreshProgress(3, stream, live=False):
        pass
    assert timeless(stream.getvalue()) == "refresh finished: 0/3 assets materialized · 0 rows · <t> s\n"


def materialized(key: list[str], **metadata):
    """A stand-in for Dagster's ASSET_MATERIALIZATION event log entry (the attributes RefreshProgress reads)."""
    import dagster as dg
    from types import SimpleNamespace

    materialization = SimpleNamespace(asset_key=dg.AssetKey(key), metadata=metadata)
    return SimpleNamespace(dagster_event=SimpleNamespace(
        event_type=dg.DagsterEventType.ASSET_MATERIALIZATION, step_key="x",
        event_specific_data=SimpleNamespace(materialization=materialization)))


@pytest.mark.parametrize("live", [False, True])
def test_events_move_the_progress_on(live: bool) -> None:
    stream = io.StringIO()
    with RefreshProgress(2, stream, live=live) as progress:
        progress.on_event(materialized(["raw_forms", "leads"], rows_loaded_this_run=15))
        progress.on_event(materialized(["marts", "fct_deals"]))
        progress.on_event(object())  # not a Dagster event: ignored
    assert (progress.done, progress.rows) == (2, 15)
    if not live:
        assert [timeless(line) for line in stream.getvalue().splitlines()] == [
            "refresh 1/2 assets · raw_forms/leads · 15 rows · <t> s elapsed",
            "refresh 2/2 assets · marts/fct_deals · <t> s elapsed",
            "refresh finished: 2/2 assets materialized · 15 rows · <t> s"]
    else:  # rich draws the bar (the final frame is kept): 2/2 and the last asset
        assert "2/2" in stream.getvalue() and "marts/fct_deals" in stream.getvalue()


def test_ingest_shows_rows_per_second(tmp_path: Path, fixtures_dir: Path) -> None:
    shutil.copytree(fixtures_dir / "forms" / "typeform", tmp_path / "inputs" / "forms" / "typeform")
    result = CliRunner().invoke(app, ["ingest", "forms", "--inputs", str(tmp_path / "inputs"), "--warehouse",
                                      str(tmp_path / "w.duckdb")], env={"COLUMNS": "200"})
    total = next(line for line in result.output.splitlines() if "all (" in line)
    seconds = float(re.search(r"all \(([\d.]+) s", total)[1])
    rate = int(re.search(r", ([\d,]+) rows/s\)", total)[1].replace(",", ""))
    # 5 rows read by the typeform fixture; the table shows the time rounded to 0.1 s, the rate uses the exact time
    assert 5 / (seconds + 0.05) - 1 <= rate <= 5 / max(seconds - 0.05, 0.001) + 1, (rate, seconds)



def test_ingest_reports_rows_read_while_a_source_loads(tmp_path: Path, fixtures_dir: Path) -> None:
    from ingestion.run import IngestOptions, ingest_source

    shutil.copytree(fixtures_dir / "forms" / "typeform", tmp_path / "inputs" / "forms" / "typeform")
    calls: list[tuple] = []
    options = IngestOptions(inputs_dir=tmp_path / "inputs", warehouse=tmp_path / "w.duckdb",
                            on_rows=lambda *call: calls.append(call), report_every=0.005)
    summary, _ = ingest_source("forms", options)
    # the typeform fixture: 5 rows read; told while loading (a load takes far longer than 5 ms), then once at the end
    assert summary.rows_read == 5
    assert [(source, rows, done) for source, rows, _, done in calls[-1:]] == [("forms", 5, True)]
    assert [done for *_, done in calls].count(True) == 1 and len(calls) >= 2
    assert [rows for _, rows, _, _ in calls] == sorted(rows for _, rows, _, _ in calls)
    assert all(seconds >= 0 for _, _, seconds, _ in calls)


def test_ingest_progress_lines_when_not_on_a_terminal() -> None:
    from rich.console import Console

    from funnelhouse.console import IngestProgress

    stream = io.StringIO()
    with IngestProgress(Console(file=stream, width=200), plain_every=0) as progress:
        progress.report("forms", 120_345, 10.0, False)
        progress.report("forms", 0, 0.0, False)
        progress.report("forms", 120_345, 10.0, True)  # the end: the reconciliation table follows, no line
    assert stream.getvalue().splitlines() == ["ingest forms · 120,345 rows read · 12,034 rows/s · 10.0 s",
                                              "ingest forms · 0 rows read · 0.0 s"]

# ---------------------------------------------------------------- run.py: the first-run environment by stage
@pytest.fixture
def bootstrap(tmp_path: Path, monkeypatch):
    spec = importlib.util.spec_from_file_location("funnelhouse_bootstrap", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    venv = tmp_path / ".venv"
    monkeypatch.setattr(module, "VENV", venv)
    monkeypatch.setattr(module, "BIN", venv / "bin")
    monkeypatch.setattr(module, "STAMP", venv / ".funnelhouse-installed")
    calls: list[str] = []

    def create(path, with_pip):
        (Path(path) / "bin").mkdir(parents=True)
        (Path(path) / "bin" / "python").touch()
        calls.append("venv")

    monkeypatch.setattr(module.venv, "create", create)
    monkeypatch.setattr(module, "_pip", lambda *args: calls.append("pip " + args[-1].rsplit("/", 1)[-1]))
    monkeypatch.setattr(module, "_dbt_parse", lambda: calls.append("dbt parse"))
    return module, calls


def test_the_first_run_says_each_stage(bootstrap, capsys) -> None:
    module, calls = bootstrap
    module.ensure_environment()
    lines = [timeless(re.sub(r"\d+ s", "<t> s", line)) for line in capsys.readouterr().out.splitlines()]
    packages = module._locked_packages()  # 188 pinned packages in requirements.lock
    stages = ["creating the virtual environment ./.venv", "installing pip==25.3",
              f"installing the {packages} locked packages of requirements.lock (the longest stage)",
              "installing funnelhouse itself (editable)", "dbt parse (the manifest of dbt_project/ that Dagster reads)"]
    assert lines == ["funnelhouse: preparing ./.venv from requirements.lock (first run only, a few minutes) ..."] + [
        line for number, stage in enumerate(stages, 1)
        for line in (f"funnelhouse: [{number}/5] {stage} ...",
                     f"funnelhouse: [{number}/5] {stage}: done in <t> s (<t> s in all)")]
    assert calls == ["venv", "pip pip==25.3", "pip requirements.lock", f"pip {ROOT.name}", "dbt parse"]
    assert module.STAMP.exists()


def test_a_failed_stage_is_named(bootstrap, capsys) -> None:
    module, _ = bootstrap

    def broken(*args):
        raise subprocess.CalledProcessError(1, ["pip"])

    module._pip = broken
    with pytest.raises(SystemExit) as stopped:
        module.ensure_environment()
    assert str(stopped.value) == ("funnelhouse: [2/5] installing pip==25.3 failed (exit code 1); the output above "
                                  "says why. Fix it, then run the same command again.")
    assert not module.STAMP.exists()
