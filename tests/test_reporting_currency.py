"""The reporting currency is a setting: the fixtures rebuilt with FUNNELHOUSE_REPORTING_CURRENCY=USD give every mart
amount in USD (each deal's CNY amount ÷ 7.2, the USD rate of seeds/funnel/fx_rates.csv, rounded to the cent per deal),
and every mart with amounts says so in its reporting_currency column."""
from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.inputs import FIXTURE_AS_OF, copy_project
from support.warehouse import query

REPORTING_CURRENCY_ENV = "FUNNELHOUSE_REPORTING_CURRENCY"
USD_RATE = Decimal("7.2")  # CNY per USD in seeds/funnel/fx_rates.csv
AMOUNT_MARTS = (
    "fct_deals", "mart_owner_performance", "mart_channel_performance", "mart_pipeline_movement",
    "fct_pipeline_daily_snapshot", "mart_loss_reasons", "mart_stale_deals", "mart_forecast", "mart_forecast_by_month",
    "mart_forecast_backtest", "mart_forecast_backtest_summary",
)


@pytest.fixture(scope="module")
def usd_build(fixture_build: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A copy of the fixture warehouse rebuilt (full refresh) with the reporting currency set to USD, as a user sets
    it: the environment variable dbt_project.yml reads."""
    from funnelhouse.transform import DBT_PROJECT_DIR, dbt_build

    root = tmp_path_factory.mktemp("usd_build")
    warehouse = root / "warehouse.duckdb"
    shutil.copyfile(fixture_build.warehouse, warehouse)
    project = copy_project(DBT_PROJECT_DIR, root / "dbt_project")
    previous = os.environ.get(REPORTING_CURRENCY_ENV)
    os.environ[REPORTING_CURRENCY_ENV] = "USD"
    try:
        statuses = dbt_build(warehouse, as_of=FIXTURE_AS_OF, project_dir=project, full_refresh=True)
    finally:
        if previous is None:
            os.environ.pop(REPORTING_CURRENCY_ENV, None)
        else:
            os.environ[REPORTING_CURRENCY_ENV] = previous
    return SimpleNamespace(warehouse=warehouse, statuses=statuses)


def currencies(warehouse: Path) -> dict[str, list[tuple]]:
    return {mart: query(warehouse, f"select distinct reporting_currency from marts.{mart}") for mart in AMOUNT_MARTS}


def test_every_amount_mart_says_its_reporting_currency(fixture_build: SimpleNamespace,
                                                        usd_build: SimpleNamespace) -> None:
    assert currencies(fixture_build.warehouse) == {mart: [("CNY",)] for mart in AMOUNT_MARTS}  # the default
    assert currencies(usd_build.warehouse) == {mart: [("USD",)] for mart in AMOUNT_MARTS}
    assert not [node for node, status in usd_build.statuses.items() if status not in ("success", "pass", "warn")]


def test_owner_performance_in_usd_is_the_cny_amounts_over_the_usd_rate(fixture_build: SimpleNamespace,
                                                                       usd_build: SimpleNamespace) -> None:
    sql = """select performance_key, won_amount_reporting, open_pipeline_reporting from marts.mart_owner_performance
             where performance_key in ('all', 'hubspot:101', 'sheet:刘洋') order by 1"""
    assert query(fixture_build.warehouse, sql) == [
        ("all", Decimal("1493600"), Decimal("2950320")),
        ("hubspot:101", Decimal("93600"), Decimal("257400")),
        ("sheet:刘洋", Decimal("150000"), Decimal("800000")),
    ]
    # won, all: 93,600 (EUR 12,000 × 7.8) / 7.2 = 13,000.00; 1,250,000 / 7.2 = 173,611.11; 150,000 / 7.2 =
    # 20,833.33 → 207,444.44. Open, all: the 8 open deals, each ÷ 7.2 to the cent: 173,611.11 (1,250,000) +
    # 32,500.00 (234,000) + 10,725.00 (77,220) + 3,250.00 (23,400) + 4,875.00 (35,100) + 56,333.33 (405,600) +
    # 17,361.11 (125,000) + 111,111.11 (800,000) = 409,766.66 (cent rounding per deal, not 2,950,320 / 7.2).
    # hubspot:101: won 13,000.00; open 234,000 + 23,400 → 32,500.00 + 3,250.00 = 35,750.00.
    # 刘洋: won 20,833.33; open 800,000 → 111,111.11.
    assert query(usd_build.warehouse, sql) == [
        ("all", Decimal("207444.44"), Decimal("409766.66")),
        ("hubspot:101", Decimal("13000.00"), Decimal("35750.00")),
        ("sheet:刘洋", Decimal("20833.33"), Decimal("111111.11")),
    ]


def test_forecast_in_usd_is_the_cny_amounts_over_the_usd_rate(fixture_build: SimpleNamespace,
                                                              usd_build: SimpleNamespace) -> None:
    sql = "select deal_id, amount_reporting, weighted_amount_reporting from marts.mart_forecast order by deal_id"
    cny = query(fixture_build.warehouse, sql)
    usd = query(usd_build.warehouse, sql)
    # each open deal's CNY amount ÷ 7.2, to the cent
    assert [(deal, amount) for deal, amount, _ in usd] == [
        ("export_en:D-002", Decimal("173611.11")),  # 1,250,000 / 7.2
        ("hubspot:11", Decimal("32500.00")),  # EUR 30,000 × 7.8 = 234,000 / 7.2
        ("hubspot:150", Decimal("10725.00")),  # EUR 9,900 × 7.8 = 77,220 / 7.2
        ("hubspot:64", Decimal("3250.00")),  # EUR 3,000 × 7.8 = 23,400 / 7.2
        ("hubspot:7", Decimal("4875.00")),  # EUR 4,500 × 7.8 = 35,100 / 7.2
        ("hubspot:77", Decimal("56333.33")),  # EUR 52,000 × 7.8 = 405,600 / 7.2
        ("tracker_cn:a803426f60ccb9b2e47a50207ef7ff2d", Decimal("17361.11")),  # 125,000 / 7.2
        ("tracker_cn:e5f9ea66d9a9eb7ec475a154d8e923af", Decimal("111111.11")),  # 800,000 / 7.2
    ]
    assert {deal: amount / USD_RATE for deal, amount, _ in cny} == pytest.approx(
        {deal: amount for deal, amount, _ in usd}, abs=Decimal("0.005"))
    # the weighted amount is the same probability × the USD amount: the CNY one ÷ 7.2 within a cent,
    # e.g. 1,250,000 → CNY 207,262.50 weighted, USD 207,262.50 / 7.2 = 28,786.46
    assert {deal: weighted / USD_RATE for deal, _, weighted in cny} == pytest.approx(
        {deal: weighted for deal, _, weighted in usd}, abs=Decimal("0.01"))
    assert usd[0][2] == Decimal("28786.46")


def test_the_report_and_the_console_label_amounts_usd(usd_build: SimpleNamespace) -> None:
    from datetime import datetime, timezone

    from funnelhouse.report.page import render_report
    from funnelhouse.report.queries import load_report_data
    from funnelhouse.transform import top_loss_reasons

    reasons = top_loss_reasons(usd_build.warehouse)
    # D-005 "Price too high", CNY 800,000 lost / 7.2 = USD 111,111.11
    assert [(r.reason_code, r.amount_lost_reporting, r.reporting_currency) for r in reasons] == [
        ("price", 111111.11, "USD")]
    data = load_report_data(usd_build.warehouse)
    assert data.currency == "USD"
    page = render_report(data, datetime(2025, 7, 1, tzinfo=timezone.utc), "test")
    assert "amount (USD)" in page and "amount (CNY)" not in page
    # the 8 open deals' weighted amounts in USD, summed (CNY figures ÷ 7.2; pinned by the forecast test above)
    assert "Expected (probability-weighted) amount: USD " in page
