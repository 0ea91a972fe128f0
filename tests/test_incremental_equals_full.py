"""An incremental night after deals changed, moved back and were deleted, in the CRM and in the sheets, leaves every
mart table row for row as a full refresh of the same data does.

Starts from a copy of the session's fixture build (as of 2025-06-30), then changes the sources:
  HubSpot (emulator admin API; its clock ticks just past the fixtures' newest timestamp, 2024-03-15):
    deal 77 moves back from negotiation (contractsent) to need (qualifiedtobuy); deal 64's amount 3000 → 4000 EUR;
    deal 7 is deleted (archived, as HubSpot deletes).
  Sheets: the export loses D-002 (a deleted row) and D-005's amount 800,000 → 850,000; in the 华南 tracker
    深圳星河 moves back from 商务谈判 (negotiation) to 需求确认 (need) on 2024-04-01 and 广州云帆's amount 12.5 → 30 万.
Then: ingest, an incremental dbt build, every mart table read; a full-refresh build of the same warehouse, read again.
Then the as-of day moves back to 2024-02-15 (in the middle of the fixtures' history: later deals, stage changes and
archivings drop out): an incremental build, read, and a full refresh as of that day, read again; then forward
again to 2025-06-30 by an incremental build, read and compared with the full refresh of that day.
"""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import httpx
import pytest

from support.inputs import FIXTURE_AS_OF, TOKEN, copy_fixture_build
from support.warehouse import query

TRACKER = "销售跟进表_华南.csv"
MODELS_AND_SEEDS = "resource_type:model resource_type:seed"
EARLIER_AS_OF = "2024-02-15"


def marts_snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table of the marts schema, its rows sorted."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE' order by 1").fetchall()]
        return {t: sorted(connection.execute(f"select * from marts.{t}").fetchall(), key=repr) for t in tables}


def change_hubspot(base_url: str) -> None:
    def post(path: str, body: dict | None = None) -> None:
        response = httpx.post(f"{base_url}/_emulator/objects/deals/{path}", json=body, timeout=30)
        assert response.status_code == 200, response.text

    post("77", {"properties": {"dealstage": "qualifiedtobuy"}})
    post("64", {"properties": {"amount": "4000"}})
    post("7/archive")


def change_sheets(drop: Path) -> None:
    export = drop / "pipeline_export_en.csv"
    lines = export.read_text(encoding="utf-8-sig").splitlines()
    kept = [line for line in lines if not line.startswith("D-002,")]
    kept = [line.replace('"800,000"', '"850,000"') if line.startswith("D-005,") else line for line in kept]
    assert len(kept) == len(lines) - 1 and kept != lines
    export.write_text("\ufeff" + "\n".join(kept) + "\n", encoding="utf-8")
    tracker = drop / TRACKER
    text = tracker.read_bytes().decode("gb18030")
    changed = (text.replace("商务谈判,2024年3月5日,3周", "需求确认,2024-04-01,")
               .replace("发送方案,张伟,12.5,", "发送方案,张伟,30,"))
    assert changed.count("需求确认") == 2 and "张伟,30," in changed
    tracker.write_bytes(changed.encode("gb18030"))


@pytest.fixture(scope="module")
def nights(fixture_build: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    from emulators.hubspot.server import HubSpotEmulator
    from funnelhouse.transform import dbt_build
    from ingestion.run import ingest_source

    night = copy_fixture_build(fixture_build, tmp_path_factory.mktemp("incremental"))
    inputs, warehouse, project, options = night.inputs, night.warehouse, night.project, night.options
    before = marts_snapshot(warehouse)

    change_sheets(inputs / "spreadsheets")
    ingest_source("spreadsheets", options)
    emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()
    try:
        change_hubspot(emulator.base_url)
        options.hubspot_base_url, options.hubspot_token = emulator.base_url, TOKEN
        ingest_source("hubspot", options)
    finally:
        emulator.stop()

    # models and seeds only: the data tests read the marts, they do not change them (and take half the time)
    dbt_build(warehouse, as_of=FIXTURE_AS_OF, select=MODELS_AND_SEEDS, project_dir=project)
    incremental = marts_snapshot(warehouse)
    deals = query(warehouse, "select deal_id, deal_name, current_stage_code, amount_original from marts.fct_deals")
    dbt_build(warehouse, as_of=FIXTURE_AS_OF, select=MODELS_AND_SEEDS, project_dir=project, full_refresh=True)
    full = marts_snapshot(warehouse)
    dbt_build(warehouse, as_of=EARLIER_AS_OF, select=MODELS_AND_SEEDS, project_dir=project)
    moved_back = marts_snapshot(warehouse)
    dbt_build(warehouse, as_of=EARLIER_AS_OF, select=MODELS_AND_SEEDS, project_dir=project, full_refresh=True)
    moved_back_full = marts_snapshot(warehouse)
    dbt_build(warehouse, as_of=FIXTURE_AS_OF, select=MODELS_AND_SEEDS, project_dir=project)
    moved_forward = marts_snapshot(warehouse)
    manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    mart_models = sorted(node["alias"] for node in manifest["nodes"].values()
                         if node["resource_type"] == "model" and node["schema"] == "marts")
    return SimpleNamespace(before=before, incremental=incremental, full=full, deals=deals, mart_models=mart_models,
                           moved_back=moved_back, moved_back_full=moved_back_full, moved_forward=moved_forward)


def test_the_changes_reached_the_marts(nights: SimpleNamespace) -> None:
    """13 deals before; hubspot:7 and export D-002 are gone (11); 星河 moved back is a new tracker row of the same
    customer (a tracker row is keyed by its stage and date): still 11 + 1 − 1 = 11."""
    deals = {name: (deal_id, stage, float(amount) if amount is not None else None)
             for deal_id, name, stage, amount in nights.deals}
    assert len(nights.deals) == 11
    assert not {"Globex pilot", "Beta Foods"} & set(deals)
    assert deals["Globex enterprise"] == ("hubspot:77", "need", 52000.0)  # moved back from negotiation
    assert deals["Acme add-on"] == ("hubspot:64", "negotiation", 4000.0)
    assert deals["Epsilon Health"] == ("export_en:D-005", "lost", 850000.0)
    assert deals["深圳星河零售有限公司"][1] == "need"
    assert deals["广州云帆科技有限公司"][1:] == ("need", 300000.0)  # 30 万
    assert nights.incremental != nights.before


def test_incremental_night_equals_a_full_refresh_table_by_table(nights: SimpleNamespace) -> None:
    # every model the project builds into the marts schema (dims, facts, marts, the forecast's internals)
    assert sorted(nights.incremental) == sorted(nights.full) == nights.mart_models
    differing = {table: (len(nights.incremental[table]), len(nights.full[table]))
                 for table in nights.full if nights.incremental[table] != nights.full[table]}
    assert differing == {}


def test_moving_the_as_of_day_back_equals_a_full_refresh_as_of_that_day(nights: SimpleNamespace) -> None:
    assert sorted(nights.moved_back) == sorted(nights.moved_back_full) == nights.mart_models
    assert nights.moved_back_full["fct_deals"] != nights.full["fct_deals"]  # the day matters to the marts
    differing = {table: (len(nights.moved_back[table]), len(nights.moved_back_full[table]))
                 for table in nights.moved_back_full if nights.moved_back[table] != nights.moved_back_full[table]}
    assert differing == {}


def test_moving_the_as_of_day_forward_again_equals_the_full_refresh(nights: SimpleNamespace) -> None:
    differing = {table: (len(nights.moved_forward[table]), len(nights.full[table]))
                 for table in nights.full if nights.moved_forward[table] != nights.full[table]}
    assert differing == {}
