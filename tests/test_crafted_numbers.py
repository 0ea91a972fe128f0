"""Hand-counted numbers on a small crafted drop (written by this module, loaded through the real ingestion and built
once with dbt as of 2025-06-30): mart_loss_reasons (count, share of the month, rank and its tie-breaks), the FX rate
picked by `valid_from` (a deal created the day before, on and after a rate change), and int_deals' exclusion reasons
created_after_as_of and no_stage_as_of (archived and unmapped_stage are pinned on the fixtures in test_dbt_models).

The drop: the English export (the committed mapping's export_deals / export_stage_changes) and one more entry of
canonical deals in USD (`fx_deals`, a Currency column wins). The project copy's fx_rates seed gains two USD changes.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from ingestion.common.reconcile import Reconciliation
from ingestion.pipeline import make_pipeline, run_source
from ingestion.spreadsheets import entity_tables, spreadsheets_source
from ingestion.spreadsheets.mapping import DEFAULT_MAPPING
from support.inputs import copy_project
from support.warehouse import query

AS_OF = "2025-06-30"

EXPORT = """\
Deal ID,Account Name,Industry,Company Size,Contact Name,Title,Phone,Email,Stage,Stage Entered,Created,Owner,Amount (CNY),Lost Reason,Channel
L1,Alpha Co,Retail,50-200,,,,,Closed Lost,2025-04-10,2025-03-01,Emily Chen,100000,Price too high,Website
L2,Bravo Co,Retail,50-200,,,,,Closed Lost,2025-04-15,2025-03-02,Emily Chen,50000,They found us too expensive,Website
L3,Charlie Co,Retail,50-200,,,,,Closed Lost,2025-04-20,2025-03-03,Emily Chen,300000,Lost to competitor,Website
L4,Delta Co,Retail,50-200,,,,,Closed Lost,2025-05-05,2025-03-04,Emily Chen,200000,went with competitor,Website
L5,Echo Co,Retail,50-200,,,,,Closed Lost,2025-05-06,2025-03-05,Emily Chen,400000,Budget cut,Website
L6,Foxtrot Co,Retail,50-200,,,,,Closed Lost,2025-05-07,2025-03-06,Emily Chen,400000,not the right time,Website
L7,Golf Co,Retail,50-200,,,,,Closed Lost,2025-05-08,2025-03-07,Emily Chen,900000,,Website
L8,Hotel Co,Retail,50-200,,,,,Closed Lost,2025-05-09,2025-03-08,Emily Chen,450000,Champion left the company,Website
X1,India Co,Retail,50-200,,,,,Lead,2025-07-05,2025-07-05,Emily Chen,10000,,Website
X2,Juliet Co,Retail,50-200,,,,,Lead,2025-07-02,2025-06-20,Emily Chen,20000,,Website
"""
HISTORY = """\
Deal ID,From Stage,To Stage,Changed At,Changed By
L3,,Lead,2025-03-03T09:00:00Z,Emily Chen
L3,Lead,Qualified,2025-03-20T09:00:00Z,Emily Chen
L3,Qualified,Closed Lost,2025-04-20T09:00:00Z,Emily Chen
X2,,Lead,2025-07-02T09:00:00Z,Emily Chen
"""
FX_DEALS = """\
Deal,Stage,Entered,Created,Amount,Currency
F1,Engaging,2025-02-28,2025-02-28,100,
F2,Engaging,2025-03-01,2025-03-01,100,
F3,Engaging,2025-03-02,2025-03-02,100,
F4,Engaging,2025-04-15,2025-04-15,100,
F5,Won,2025-04-20,2025-02-28,100,
F6,Engaging,2025-03-01,2025-03-01,1000,CNY
"""
FX_MAPPING = """
fx_deals:
  files: ["fx_deals.csv"]
  entity: deals
  stage_source: maven
  currency: USD
  fields:
    deal_id:          {required: true, aliases: [Deal]}
    stage:            {required: true, aliases: [Stage]}
    stage_entered_on: {required: true, aliases: [Entered]}
    created_on:       {aliases: [Created]}
    amount:           {aliases: [Amount]}
    currency:         {aliases: [Currency]}
"""
# USD was 7.2 CNY since 2000; it changes to 7.1 on 2025-03-01 and to 7.0 on 2025-04-01
FX_RATES = "USD,2025-03-01,7.1\nUSD,2025-04-01,7.0\n"


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    from funnelhouse.transform import DBT_PROJECT_DIR, dbt_build

    root = tmp_path_factory.mktemp("crafted")
    drop = root / "inputs" / "spreadsheets"
    drop.mkdir(parents=True)
    (drop / "pipeline_export_en.csv").write_text(EXPORT, encoding="utf-8")
    (drop / "pipeline_export_en_stage_history.csv").write_text(HISTORY, encoding="utf-8")
    (drop / "fx_deals.csv").write_text(FX_DEALS, encoding="utf-8")
    mapping = root / "mapping.yaml"
    mapping.write_text(DEFAULT_MAPPING.read_text(encoding="utf-8") + FX_MAPPING, encoding="utf-8")
    recon = Reconciliation("spreadsheets")
    warehouse = root / "warehouse.duckdb"
    pipeline = make_pipeline("spreadsheets", warehouse=warehouse, pipelines_dir=root / "pipelines")
    source = spreadsheets_source(drop_dir=str(drop), mapping_path=str(mapping), reconciliation=recon)
    summary = run_source("spreadsheets", source, recon, entity_tables(mapping), pipeline)
    project = copy_project(DBT_PROJECT_DIR, root / "dbt_project")
    rates = project / "seeds" / "funnel" / "fx_rates.csv"
    rates.write_text(rates.read_text(encoding="utf-8") + FX_RATES, encoding="utf-8")
    statuses = dbt_build(warehouse, as_of=AS_OF, project_dir=project)
    return SimpleNamespace(warehouse=warehouse, summary=summary, statuses=statuses)


def test_loss_reasons_count_share_and_rank(crafted: SimpleNamespace) -> None:
    """Lost in April: L1 price (exact 'Price too high', 100,000), L2 price (the keyword 'expensive', 50,000), L3
    competitor (300,000; its history goes Lead → Qualified → lost: lost from need) → 3 lost, shares 2/3 and 1/3.
    Lost in May: L4 competitor 200,000, L5 budget 400,000, L6 timing 400,000, L7 no reason (unspecified, 900,000),
    L8 other (no variant or keyword matches, 450,000) → 5 lost, 1/5 each. Every deal without history is lost from
    its first stage, lead.
    Rank over all months (lost deals, then amount, then the seed's reason_order; unspecified is not ranked):
    competitor 2 deals 500,000 (1) before price 2 deals 150,000 (2); then the one-deal reasons: other 450,000 (3),
    budget 400,000 and timing 400,000 tie on amount → budget (order 3) before timing (order 4): 4, 5."""
    rows = query(
        crafted.warehouse,
        "select lost_month, loss_reason_code, lost_from_stage_code, lost_deals, share_of_month, "
        "amount_lost_reporting, reason_rank, is_top3_reason from marts.mart_loss_reasons order by 1, 2",
    )
    assert [(str(month), reason, stage, deals, float(share), float(amount), rank, top3)
            for month, reason, stage, deals, share, amount, rank, top3 in rows] == [
        ("2025-04-01", "competitor", "need", 1, 0.3333, 300000.0, 1, True),
        ("2025-04-01", "price", "lead", 2, 0.6667, 150000.0, 2, True),
        ("2025-05-01", "budget", "lead", 1, 0.2, 400000.0, 4, False),
        ("2025-05-01", "competitor", "lead", 1, 0.2, 200000.0, 1, True),
        ("2025-05-01", "other", "lead", 1, 0.2, 450000.0, 3, True),
        ("2025-05-01", "timing", "lead", 1, 0.2, 400000.0, 5, False),
        ("2025-05-01", "unspecified", "lead", 1, 0.2, 900000.0, None, False),
    ]


def test_fx_rate_is_the_latest_valid_on_the_creation_day(crafted: SimpleNamespace) -> None:
    """USD 100 created 02-28 (the day before the change) × 7.2 = 720; created 03-01 (the day of it) and 03-02 (the
    day after) × 7.1 = 710; created 04-15, after the second change, × 7.0 = 700; F5, created 02-28 and won 04-20,
    keeps its creation day's rate: 720; F6's Currency cell says CNY: 1000 × 1."""
    rows = query(
        crafted.warehouse,
        "select source_deal_id, currency_code, amount_original, amount_cny from marts.fct_deals "
        "where source_deal_id like 'F%' order by 1",
    )
    assert [(deal, currency, float(original), float(cny)) for deal, currency, original, cny in rows] == [
        ("F1", "USD", 100.0, 720.0), ("F2", "USD", 100.0, 710.0), ("F3", "USD", 100.0, 710.0),
        ("F4", "USD", 100.0, 700.0), ("F5", "USD", 100.0, 720.0), ("F6", "CNY", 1000.0, 1000.0),
    ]
    # the same amounts reach the marts: F5 is the only won deal → won amount 720
    assert query(
        crafted.warehouse,
        "select won_amount_reporting from marts.mart_owner_performance where performance_level = 'overall'",
    ) == [(Decimal("720"),)]


def test_deals_created_after_the_as_of_day_or_without_a_stage_by_then_are_left_out(crafted: SimpleNamespace) -> None:
    """X1 is created 2025-07-05, after the as-of day 06-30: created_after_as_of. X2 is created 06-20 but its history
    only starts on 07-02: no_stage_as_of. The 14 other deals (L1-L8, F1-F6) are in fct_deals."""
    assert query(
        crafted.warehouse,
        "select source_deal_id, exclusion_reason from intermediate.int_deals where exclusion_reason is not null "
        "order by 1",
    ) == [("X1", "created_after_as_of"), ("X2", "no_stage_as_of")]
    assert query(crafted.warehouse, "select count(*) from marts.fct_deals") == [(14,)]
