"""The win forecast on warehouses with no evidence: only open deals (nothing ever closed) and no deals at all, built
through the real ingestion (an English export written by the test) and the whole dbt project."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path


from support.inputs import copy_project
from support.warehouse import query

EXPORT_HEADER = ("Deal ID,Account Name,Industry,Company Size,Contact Name,Title,Phone,Email,Stage,"
                 "Stage Entered,Created,Owner,Amount (CNY),Lost Reason,Channel")
# Only open pipeline, as of 2024-06-30: a new CRM or an export of early stages. O-3 has no creation date (created
# = its first stage entry, inferred) and no amount.
OPEN_ONLY = [
    "O-1,Acme Robotics,Manufacturing,200-500,Alice Wang,CIO,,alice@acme.example,Lead,2024-05-01,2024-05-01,"
    "Emily Chen,10000,,Website",
    "O-2,Beta Foods,Retail,50-200,Bob Li,Buyer,,bob@beta.example,Proposal,2024-06-01,2024-04-15,Emily Chen,20000,,"
    "Event",
    "O-3,Gamma Bank,Finance,1000+,Carol Xu,VP,,carol@gamma.example,Qualified,2024-06-20,,Frank Zhou,,,Referral",
]
AS_OF = "2024-06-30"


def build_export(tmp_path: Path, rows: list[str]) -> Path:
    """Write the export, ingest it and dbt build the whole project as of AS_OF; asserts the build is green and
    returns the warehouse."""
    from funnelhouse.transform import DBT_PROJECT_DIR, dbt_build
    from ingestion.run import IngestOptions, ingest_source

    drop = tmp_path / "inputs" / "spreadsheets"
    drop.mkdir(parents=True)
    (drop / "pipeline_export_en.csv").write_text("\n".join([EXPORT_HEADER, *rows]) + "\n", encoding="utf-8")
    options = IngestOptions(inputs_dir=tmp_path / "inputs", warehouse=tmp_path / "warehouse.duckdb",
                            pipelines_dir=tmp_path / "pipelines")
    ingest_source("spreadsheets", options)
    project = copy_project(DBT_PROJECT_DIR, tmp_path / "dbt_project")
    statuses = dbt_build(options.warehouse, as_of=AS_OF, project_dir=project)
    # before, not_null_mart_forecast_win_probability and ..._cell_win_probability failed here (no closed deal: null)
    assert set(statuses.values()) == {"success", "pass"}
    return options.warehouse


def test_only_open_deals_get_the_prior_with_no_decay_and_the_backtest_judges_nothing(tmp_path: Path) -> None:
    warehouse = build_export(tmp_path, OPEN_ONLY)
    # nothing closed: every cell is the Beta(1, 1) prior's mean 1 / (1 + 1) = 0.5, basis pooled on 0 closed deals,
    # no raw base rate; no won deal → no p90, no decay (O-2 is 76 days old) and no expected close date.
    # days in stage: O-1 05-01 → 06-30 = 60 (31-60), O-2 06-01 → 06-30 = 29 (15-30), O-3 06-20 → 06-30 = 10 (0-14);
    # age: O-2 04-15 → 06-30 = 15 + 31 + 30 = 76. Weighted: 10000 × 0.5, 20000 × 0.5, no amount → none.
    forecast = query(warehouse, """
        select deal_id, stage_code, age_bucket, days_in_stage, deal_age_days, probability_basis, evidence_closed_count,
            base_win_rate, pooled_win_rate, stage_win_rate, cell_win_probability, p90_won_cycle_days, decay_factor,
            win_probability, expected_close_date, weighted_amount_reporting
        from marts.mart_forecast order by deal_id""")
    half, one = Decimal("0.5"), Decimal(1)
    assert forecast == [
        ("export_en:O-1", "lead", "31-60", 60, 60, "pooled", 0, None, half, half, half, None, one, half, None,
         Decimal(5000)),
        ("export_en:O-2", "proposal", "15-30", 29, 76, "pooled", 0, None, half, half, half, None, one, half, None,
         Decimal(10000)),
        ("export_en:O-3", "need", "0-14", 10, 10, "pooled", 0, None, half, half, half, None, one, half, None, None),
    ]
    # per owner, no expected month: Emily Chen O-1 + O-2 = 2 deals, 30000, 0.5 + 0.5 = 1 expected, 15000 weighted;
    # Frank Zhou O-3 = 1 deal, no amount, 0.5
    by_month = query(warehouse, """
        select expected_close_month, owner_name, open_deals, pipeline_amount_reporting, expected_won_deals,
            weighted_amount_reporting
        from marts.mart_forecast_by_month order by owner_name""")
    assert by_month == [(None, "Emily Chen", 2, Decimal(30000), one, Decimal(15000)),
                        (None, "Frank Zhou", 1, None, half, None)]
    # the calendar starts 2024-04-15 (O-2 created): month-ends 04-30 and 05-31, whose 1-month windows (May, June)
    # have passed by 06-30 (3 months have not). Open at 04-30: O-2; at 05-31: O-1, O-2 (O-3 entered 06-20).
    # Nothing was expected to close (no close time learned), nothing was won, nothing closed → nothing to score.
    backtest = query(warehouse, """
        select forecast_month_end, horizon_months, open_deals, open_amount_reporting, predicted_won_deals,
            actual_won_deals,
            percentage_error_won_deals, brier_deals, brier_score, base_rate_brier_score
        from marts.mart_forecast_backtest order by 1, 2""")
    assert backtest == [
        (date(2024, 4, 30), 1, 1, Decimal(20000), Decimal(0), 0, None, 0, None, None),
        (date(2024, 5, 31), 1, 2, Decimal(30000), Decimal(0), 0, None, 0, None, None),
    ]
    summary = query(warehouse, """
        select horizon_months, months_evaluated, months_with_wins, mae_won_deals, mape_won_deals, wape_won_amount,
            brier_deals, brier_score, brier_skill_score
        from marts.mart_forecast_backtest_summary""")
    assert summary == [(1, 2, 0, Decimal(0), None, None, 0, None, None)]


def test_no_deals_at_all_builds_green_with_empty_forecasts(tmp_path: Path) -> None:
    warehouse = build_export(tmp_path, [])  # the export's header only
    counts = query(warehouse, """
        select (select count(*) from marts.fct_deals), (select count(*) from marts.mart_forecast),
            (select count(*) from marts.mart_forecast_by_month), (select count(*) from marts.mart_forecast_backtest),
            (select count(*) from marts.mart_forecast_backtest_summary)""")
    assert counts == [(0, 0, 0, 0, 0)]
    # the calendar is the as-of day → + 366 days, so no month-end before it: only the as-of day is forecast, and its
    # 5 open stages × 5 age buckets (0-14, 15-30, 31-60, 61+, unknown) all hold the prior, 0.5, basis pooled
    rates = query(warehouse, """
        select forecast_date, count(*), min(win_probability), max(win_probability), min(probability_basis),
            max(probability_basis), max(basis_closed_count)
        from marts.int_forecast__win_rates group by 1""")
    assert rates == [(date(2024, 6, 30), 25, Decimal("0.5"), Decimal("0.5"), "pooled", "pooled", 0)]
