"""What a refresh of the committed fixtures through Dagster gives on every warehouse kind (the same on DuckDB,
Postgres and Spark): the assets materialized, the rows loaded, the checks and their two expected warnings."""
from __future__ import annotations


def assert_fixture_refresh(outcome) -> None:
    """`outcome` (orchestration.refresh.RefreshOutcome) is the first refresh of tests/fixtures as of 2025-06-30."""
    assert outcome.success, outcome.error
    assert outcome.skipped == []
    # 68 raw tables, every dbt model and seed, the 2 quality reports and the 2 serving assets (copies on DuckDB;
    # on Postgres and Spark they say that BI tools read the marts schema itself); the digest has its own job
    assert len([key for key in outcome.materialized if key.startswith("raw_")]) == 68
    assert len(outcome.materialized) == 234
    assert {"serving/funnelhouse_serving", "serving/parquet_marts", "quality/funnel_report",
            "quality/data_quality_report"} <= set(outcome.materialized)
    assert {s.source: s.rows_loaded for s in outcome.load_summaries if not s.skipped} == {
        "forms": 8, "spreadsheets": 14, "hubspot": 32}
    gx = [c for c in outcome.checks if c.is_gx]
    assert len(gx) == 24
    # the same two WARNs on every kind (partner pipeline stages, channel Partner), judged by GX on the rows read
    assert [(c.check, c.severity) for c in gx if not c.passed] == [
        ("gx_intermediate__int_deals__coverage", "WARN"), ("gx_raw_hubspot__deals", "WARN")]
    assert [c.summary for c in gx if not c.passed][1].endswith(
        "passed with warnings: 0 ERROR, 1 WARN of 11 expectations: WARN expect_column_values_to_be_in_set(dealstage): "
        "3 rows (values: 'partner_negotiation' ×1, 'partner_new' ×1, 'partner_won' ×1)")
    assert [(c.check, c.severity, c.summary) for c in outcome.checks if not c.is_gx and not c.passed] == [
        ("warn_source_stages_not_in_funnel_map", "WARN", "3 failing rows")]
