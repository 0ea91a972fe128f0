"""The command line: help a newcomer understands, a reconciliation table, one-line errors with a non-zero exit."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from typer.testing import CliRunner

from funnelhouse.cli import app

runner = CliRunner()


def test_every_command_has_help() -> None:
    for args in (["--help"], ["demo", "--help"], ["generate", "--help"], ["ingest", "--help"], ["build", "--help"],
                 ["refresh", "--help"], ["quarantine", "--help"], ["report", "--help"], ["ui", "--help"],
                 ["emulate", "hubspot", "--help"], ["emulate", "pipedrive", "--help"],
                 ["emulate", "salesforce", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    help_text = runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "250"}).output
    assert "Which source to load: forms, spreadsheets, hubspot, salesforce, pipedrive, zoho, fxiaoke, or all of them." in help_text


def test_emulate_salesforce_and_pipedrive_say_what_is_missing(isolated_data_dir: Path, fixtures_dir: Path) -> None:
    result = runner.invoke(app, ["emulate", "salesforce"], env={"COLUMNS": "300"})
    assert (result.exit_code, result.output.splitlines()) == (2, [
        f"error: {isolated_data_dir / 'inputs' / 'salesforce'}: no Salesforce seed files (fields.json, "
        "Opportunity.jsonl, ...): run `funnelhouse generate` first, or pass --data with a folder that has them"])
    result = runner.invoke(app, ["emulate", "pipedrive"], env={"COLUMNS": "300"})
    assert (result.exit_code, result.output.splitlines()) == (2, [
        f"error: {isolated_data_dir / 'inputs' / 'pipedrive'}: no Pipedrive seed files (deals.jsonl, "
        "deal_changelog.jsonl, ...): run `funnelhouse generate` first, or pass --data with a folder that has them"])
    result = runner.invoke(app, ["emulate", "salesforce", "--data", str(fixtures_dir / "salesforce"), "--certfile",
                                 "cert.pem"], env={"COLUMNS": "300"})
    assert (result.exit_code, result.output.splitlines()) == (2, [
        "error: --certfile and --keyfile go together: give both to serve https, or neither for http"])


def test_emulate_salesforce_serves_the_seed_to_its_connected_app(fixtures_dir: Path) -> None:
    """The command in its own process: it prints its base URL, grants the client-credentials flow to the app given
    by --client-id/--client-secret and answers SOQL with the 3 opportunities of tests/fixtures/salesforce."""
    command = [sys.executable, "-c", "from funnelhouse.cli import app; app()", "emulate", "salesforce", "--data",
               str(fixtures_dir / "salesforce"), "--port", "0", "--client-id", "app-1", "--client-secret", "s3",
               "--daily-cap", "50"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base_url = server.stdout.readline().strip()
        grant = {"grant_type": "client_credentials", "client_id": "app-1", "client_secret": "s3"}
        token = httpx.post(f"{base_url}/services/oauth2/token", data=grant).json()
        assert token["instance_url"] == base_url
        answer = httpx.get(f"{base_url}/services/data/v62.0/query", params={"q": "SELECT COUNT() FROM Opportunity"},
                           headers={"Authorization": f"Bearer {token['access_token']}"})
        # the token endpoint does not count against the API allocation: the query is request 1 of the 50 of --daily-cap
        assert (answer.json()["totalSize"], answer.headers["Sforce-Limit-Info"]) == (3, "api-usage=1/50")
    finally:
        server.terminate()
        server.wait(10)


def test_ingest_forms_prints_reconciliation_and_names_rejected_file(tmp_path: Path, fixtures_dir: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(fixtures_dir / "forms", inputs / "forms")
    result = runner.invoke(app, ["ingest", "forms", "--inputs", str(inputs), "--warehouse", str(tmp_path / "w.duckdb")],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "error: export/empty.jsonl: file is empty" in lines
    row = next(line for line in lines if "jinshuju/entries_2025-01.jsonl" in line)
    assert [cell.strip() for cell in row.split("│")[3:7]] == ["7", "3", "4", "loaded"]
    total = next(line for line in lines if "all (" in line)
    assert [cell.strip() for cell in total.split("│")[3:6]] == ["15", "8", "7"]


def test_ingest_of_a_healthy_folder_exits_zero_and_second_run_loads_nothing(tmp_path: Path, fixtures_dir: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(fixtures_dir / "forms" / "typeform", inputs / "forms" / "typeform")
    args = ["ingest", "forms", "--inputs", str(inputs), "--warehouse", str(tmp_path / "w.duckdb")]
    first = runner.invoke(app, args, env={"COLUMNS": "200"})
    second = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert (first.exit_code, second.exit_code) == (0, 0)
    row = next(line for line in second.output.splitlines() if "form_responses_2025-01.jsonl" in line)
    assert [cell.strip() for cell in row.split("│")[3:7]] == ["0", "0", "0", "unchanged"]


def test_each_warehouse_keeps_its_own_load_state(tmp_path: Path, fixtures_dir: Path) -> None:
    """Loading the same inputs into a second warehouse file loads everything again, not 'unchanged'."""
    inputs = tmp_path / "inputs"
    shutil.copytree(fixtures_dir / "forms" / "typeform", inputs / "forms" / "typeform")
    for name in ("one.duckdb", "two.duckdb"):
        result = runner.invoke(app, ["ingest", "forms", "--inputs", str(inputs), "--warehouse", str(tmp_path / name)],
                               env={"COLUMNS": "200"})
        row = next(line for line in result.output.splitlines() if "form_responses_2025-01.jsonl" in line)
        assert [cell.strip() for cell in row.split("│")[3:7]] == ["5", "3", "2", "loaded"], name


def test_build_runs_dbt_on_the_warehouse_and_prints_the_funnel(fixture_build, tmp_path: Path, monkeypatch) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(fixture_build.warehouse, warehouse)
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE", str(warehouse))
    result = runner.invoke(app, ["build", "--as-of", "2025-06-30"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "dbt build: all models and tests passed" in result.output
    # the fixtures' funnel: 13 deals reached lead, 6 actually entered it (tests/test_dbt_models.py)
    assert any(line.split("│")[2:4] == ["      13 ", "       6 "] for line in result.output.splitlines()
               if "线索 Lead" in line), result.output
    bad = runner.invoke(app, ["build", "--as-of", "30.06.2025"])
    assert bad.exit_code == 2
    assert bad.output.strip() == "error: --as-of must be a date YYYY-MM-DD, e.g. 2026-09-30, got '30.06.2025'"


def test_generate_writes_into_the_data_folder_by_default(isolated_data_dir: Path) -> None:
    result = runner.invoke(app, ["generate", "--scale", "0.05"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    manifest = isolated_data_dir / "inputs" / "manifest.json"
    assert manifest.exists()
    assert '"scale": 0.05' in manifest.read_text(encoding="utf-8")
