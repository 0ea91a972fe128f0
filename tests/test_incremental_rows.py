"""A night with k changed deals writes exactly those deals' rows to each incremental model, and a night with nothing
new writes none (rows counted by the strategy replace_entities in dbt_audit.rows_written, not seconds).

Starts from a copy of the session's fixture build (as of 2025-06-30). k = 2 HubSpot deals change through the emulator
(its clock ticks just past the fixtures' newest timestamp, 2024-03-15); nothing else is loaded:
  deal 64 amount 3000 → 4000 EUR: its dealstage history is unchanged, 2 entries
    (presentationscheduled 02-03 = proposal, decisionmakerboughtin 03-10 = negotiation) → 2 stage changes, 2 events;
  deal 77 moves back from contractsent to qualifiedtobuy: its history gains an entry, 3 + 1 = 4 entries
    (appointmentscheduled 02-08 = interest, decisionmakerboughtin 02-20 = negotiation, contractsent 03-05 =
    negotiation again, qualifiedtobuy = need) → 4 stage changes; the repeated negotiation is merged → 3 events.
Rows written: int_deal_stage_changes 2 + 4 = 6, int_deal_stage_events 2 + 3 = 5, int_deals 2 (one row per deal),
fct_deal_stage_events 5 (both deals are in the funnel). Then a second night without any new load: 0 rows to each.
"""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from support.inputs import FIXTURE_AS_OF, TOKEN, copy_fixture_build
from support.warehouse import query

MODELS_AND_SEEDS = "resource_type:model resource_type:seed"
INCREMENTAL_MODELS = ["fct_deal_stage_events", "int_deal_stage_changes", "int_deal_stage_events", "int_deals"]


def rows_written(warehouse: Path, project: Path) -> dict[str, int]:
    """Rows each incremental model wrote in the last dbt invocation of `project` (its run_results.json)."""
    results = json.loads((project / "target" / "run_results.json").read_text(encoding="utf-8"))
    invocation = results["metadata"]["invocation_id"]
    return dict(query(warehouse, "select model_name, rows_written from dbt_audit.rows_written "
                                 f"where invocation_id = '{invocation}' order by 1"))


@pytest.fixture(scope="module")
def nights(fixture_build: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    from emulators.hubspot.server import HubSpotEmulator
    from funnelhouse.transform import dbt_build
    from ingestion.run import ingest_source

    night = copy_fixture_build(fixture_build, tmp_path_factory.mktemp("incremental_rows"))
    inputs, warehouse, project, options = night.inputs, night.warehouse, night.project, night.options
    emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()
    try:
        for deal, body in (("64", {"amount": "4000"}), ("77", {"dealstage": "qualifiedtobuy"})):
            response = httpx.post(f"{emulator.base_url}/_emulator/objects/deals/{deal}",
                                  json={"properties": body}, timeout=30)
            assert response.status_code == 200, response.text
        options.hubspot_base_url, options.hubspot_token = emulator.base_url, TOKEN
        ingest_source("hubspot", options)
    finally:
        emulator.stop()

    dbt_build(warehouse, as_of=FIXTURE_AS_OF, select=MODELS_AND_SEEDS, project_dir=project)
    changed = rows_written(warehouse, project)
    changed_deals = query(warehouse, "select deal_id, count(*) from intermediate.int_deal_stage_events "
                                     "where deal_id in ('hubspot:64', 'hubspot:77') group by 1 order by 1")
    dbt_build(warehouse, as_of=FIXTURE_AS_OF, select=MODELS_AND_SEEDS, project_dir=project)
    unchanged = rows_written(warehouse, project)
    return SimpleNamespace(changed=changed, unchanged=unchanged, changed_deals=changed_deals)


def test_a_night_with_two_changed_deals_writes_their_rows_only(nights: SimpleNamespace) -> None:
    assert nights.changed_deals == [("hubspot:64", 2), ("hubspot:77", 3)]
    assert nights.changed == {
        "fct_deal_stage_events": 5, "int_deal_stage_changes": 6, "int_deal_stage_events": 5, "int_deals": 2,
    }


def test_a_night_without_new_data_writes_nothing(nights: SimpleNamespace) -> None:
    assert nights.unchanged == dict.fromkeys(INCREMENTAL_MODELS, 0)
