"""The demo end to end on generated data: every raw dataset loads, a re-run loads nothing, a new form file loads once."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from funnelhouse import settings
from funnelhouse.cli import app

runner = CliRunner()


def totals(output: str) -> dict[str, list[int]]:
    """{source: [read, loaded, quarantined]} from the reconciliation table's per-source total rows."""
    found = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) > 6 and cells[2].startswith("all ("):
            found[cells[1]] = [int(cell.replace(",", "")) for cell in cells[3:6]]
    return found


def test_demo_loads_everything_once_and_then_only_new_files(isolated_data_dir: Path) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    # generated at seed 42, scale 1: 800 form submissions (one truncated line), 613 spreadsheet rows,
    # 200 deals + 250 contacts + 120 companies + 12 owners from the HubSpot emulator
    assert totals(first.output) == {
        "forms": [800, 799, 1],
        "spreadsheets": [613, 613, 0],
        "hubspot": [582, 582, 0],
    }
    assert "dbt build: all models and tests passed" in first.output
    assert "Funnel (all deals)" in first.output and "Top loss reasons" in first.output
    report = settings.data_dir() / "reports" / "funnel_report.html"
    assert f"Funnel report: {report}" in first.output.replace("\n", "") and report.exists()
    with duckdb.connect(str(settings.warehouse_path()), read_only=True) as con:
        schemas = {row[0] for row in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert {"raw_forms", "raw_spreadsheets", "raw_hubspot"} <= schemas
        for schema in ("raw_forms", "raw_spreadsheets", "raw_hubspot"):
            assert con.execute(f"select count(*) from information_schema.tables where table_schema = '{schema}' "
                               "and table_name in ('quarantine', 'reconciliation')").fetchone() == (2,)

    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert totals(second.output) == {"forms": [0, 0, 0], "spreadsheets": [0, 0, 0], "hubspot": [0, 0, 0]}

    new_file = settings.inputs_dir() / "forms" / "export" / "website_leads_2026-10.jsonl"
    new_file.write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in [
            {"submission_id": "WS-900001", "submitted_at": "2026-10-02 09:00:00", "email": "a@example.com"},
            {"submission_id": "WS-900002", "submitted_at": "2026-10-03 09:00:00", "phone": "13912345678"},
            {"submission_id": "WS-900003", "submitted_at": "2026-10-04 09:00:00", "phone": "12"},
        ]) + "\n",
        encoding="utf-8",
    )
    third = runner.invoke(app, ["demo"])
    assert third.exit_code == 0, third.output
    assert totals(third.output)["forms"] == [3, 2, 1]
    with duckdb.connect(str(settings.warehouse_path()), read_only=True) as con:
        assert con.execute("select count(*) from raw_forms.form_submissions").fetchone() == (801,)
