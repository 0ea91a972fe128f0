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
    # 200 deals + 250 contacts + 120 companies + 12 owners from the HubSpot emulator; from the Salesforce emulator
    # 8 users + 70 accounts + 110 contacts + 200 leads + 150 opportunities (11 deleted) + 1,239 history rows + 10
    # opportunity stages = 1,787; from the Pipedrive emulator 120 deals (3 deleted) + 297 stage moves (of 630
    # changelog items) + 2 pipelines + 8 stages + 100 persons + 60 organizations + 8 users = 595
    assert totals(first.output) == {
        "forms": [800, 799, 1],
        "spreadsheets": [613, 613, 0],
        "hubspot": [582, 582, 0],
        "salesforce": [1787, 1787, 0],
        "pipedrive": [595, 595, 0],
    }
    assert "dbt build: all models and tests passed" in first.output
    assert "Funnel (all deals)" in first.output and "Top loss reasons" in first.output
    report = settings.data_dir() / "reports" / "funnel_report.html"
    assert f"Funnel report: {report}" in first.output.replace("\n", "") and report.exists()
    with duckdb.connect(str(settings.warehouse_path()), read_only=True) as con:
        schemas = {row[0] for row in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        raw = ("raw_forms", "raw_spreadsheets", "raw_hubspot", "raw_salesforce", "raw_pipedrive")
        assert set(raw) <= schemas
        for schema in raw:
            assert con.execute(f"select count(*) from information_schema.tables where table_schema = '{schema}' "
                               "and table_name in ('quarantine', 'reconciliation')").fetchone() == (2,)
        # the funnel holds deals of every source: 200 HubSpot deals less 8 archived; 150 opportunities less 11
        # deleted; 120 Pipedrive deals less 3 deleted (the one in the second pipeline's 'Introduction' counts:
        # the funnel map lists that pipeline's stages)
        assert con.execute("select source, count(*) from marts.fct_deals group by 1 order by 1").fetchall() == [
            ("export_en", 60), ("hubspot", 192), ("pipedrive", 117), ("salesforce", 139), ("tracker_cn", 140)]

    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    # nothing changed: no record is read again, but Pipedrive's 2 pipelines, 8 stages and 8 users, which its API
    # lists whole (no updated_since), merged unchanged: dbt has nothing to build
    assert totals(second.output) == {"forms": [0, 0, 0], "spreadsheets": [0, 0, 0], "hubspot": [0, 0, 0],
                                     "salesforce": [0, 0, 0], "pipedrive": [18, 18, 0]}
    assert "dbt build: nothing to build, no new load since the last successful build" in second.output

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
