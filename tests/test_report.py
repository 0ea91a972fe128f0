"""The HTML funnel report (`funnelhouse report`): one self-contained file drawn from hand-written marts, its numbers and
notes, one-line errors, and its charts rendered in headless Chromium (screenshot under the data folder)."""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import duckdb
import pytest
from plotly.offline import get_plotlyjs
from support.browser import Browser, find_chromium
from typer.testing import CliRunner

from funnelhouse import settings
from funnelhouse.cli import app
from funnelhouse.report import write_report
from ingestion.common.errors import FunnelhouseError

AS_OF = "2026-09-30"
STAGES = [  # stage_code, stage_order, stage_name_zh, stage_name_en, stage_type
    ("lead", 1, "线索", "Lead", "open"), ("interest", 2, "意向", "Interest", "open"),
    ("need", 3, "需求确认", "Need confirmed", "open"), ("proposal", 4, "方案/报价", "Proposal", "open"),
    ("negotiation", 5, "谈判", "Negotiation", "open"), ("won", 6, "成交", "Won", "won"), ("lost", 7, "输单", "Lost", "lost"),
]
# segment -> reached per stage (lead .. won, lost); adjacent = next / this, cumulative = this / deals
FUNNELS = {
    ("overall", "all", "全部 All"): [100, 80, 60, 45, 30, 20, 50],
    ("channel", "wechat_ads", "微信广告"): [40, 30, 20, 15, 10, 5, 25],
    ("channel", "referral", "客户推荐"): [20, 18, 16, 14, 12, 10, 6],
}
SECTION_TITLES = ["1. Funnel 销售漏斗", "2. Conversion by channel 渠道转化", "3. Time in stage 阶段停留时间",
                  "4. Loss reasons (Pareto) 输单原因", "5. Stale deals 停滞商机", "6. Forecast 成交预测"]

DDL = {
    "mart_funnel_conversion": """segment_type varchar, segment_value varchar, segment_label varchar, stage_code varchar,
        stage_order integer, stage_name_zh varchar, stage_name_en varchar, stage_type varchar, deals_in_segment integer,
        reached integer, entered integer, advanced integer, won_later integer, lost_here integer,
        adjacent_conversion_rate decimal(28, 6), cumulative_conversion_rate decimal(28, 6), win_rate decimal(28, 6),
        as_of_date date""",
    "mart_stage_velocity": """stage_code varchar, stage_order integer, stage_name_zh varchar, stage_name_en varchar,
        stage_type varchar, measure varchar, deals_measured integer, avg_days decimal(28, 6),
        median_days decimal(28, 6), p90_days decimal(28, 6), min_days integer, max_days integer,
        as_of_date date""",
    "mart_loss_reasons": """lost_month date, loss_reason_code varchar, reason_name_zh varchar, reason_name_en varchar,
        lost_from_stage_code varchar, lost_deals integer, share_of_month decimal(28, 6),
        amount_lost_reporting decimal(28, 6), reason_rank integer, is_top3_reason boolean, as_of_date date""",
    "mart_stale_deals": """deal_id varchar, source varchar, deal_name varchar, current_stage_code varchar,
        stage_name_zh varchar, stage_name_en varchar, current_stage_entered_at timestamp, is_stage_entry_known boolean,
        days_in_stage integer, stale_after_days integer, days_over_threshold integer, owner_id varchar,
        owner_name varchar, team_name varchar, company_id varchar, company_name varchar, channel_code varchar,
        amount_reporting decimal(28, 6), as_of_date date""",
    "dim_channel": "channel_code varchar, channel_order integer, name_zh varchar, name_en varchar",
    # as dbt_project/models/marts/forecast builds it (the columns the report reads)
    "mart_forecast": """deal_id varchar, owner_name varchar, stage_code varchar, win_probability decimal(28, 6),
        expected_close_month date, amount_reporting decimal(28, 6), weighted_amount_reporting decimal(28, 6)""",
}
VELOCITY = [("time_in_stage", code, 11.5 * order, 9.25 * order, 20.0 * order) for code, order, *_ in STAGES[:5]] + [
    ("cycle_length", "won", 85.6, 73.8, 137.7), ("cycle_length", "lost", 48.4, 40.0, 94.2)]
LOSS_REASONS = [  # month, code, zh, en, lost deals, amount, rank (none: no reason given)
    ("2026-08-01", "price", "价格", "Price", 3, 300000, 1), ("2026-09-01", "price", "价格", "Price", 4, 120000, 1),
    ("2026-08-01", "competitor", "竞品", "Competitor", 5, 250000, 2),
    ("2026-09-01", "budget", "预算", "Budget", 2, 40000, 3),
    ("2026-09-01", "unspecified", "未填写", "Not given", 6, 90000, None),
]
STALE_DEALS = [  # deal name, owner, stage code, days in stage, days over threshold, amount
    ("华东物流 - 年度订阅", "周文", "proposal", 75, 45, 120000),
    ("Acme renewal", "Ivy Feng", "negotiation", 40, 10, None),
    ("Beta pilot", "Daniel Ma", "need", 61, 31, 88000.5),
]
FORECAST = [("d1", "周文", "proposal", 0.4, "2026-10-01", 100000, 40000),
            ("d2", "Ivy Feng", "negotiation", 0.5, "2026-10-01", 40000, 20000),
            ("d3", "Daniel Ma", "need", 0.5, "2026-11-01", 60000, 30000),
            ("d4", "Daniel Ma", "lead", 0.1, None, 50000, 5000)]  # no won deal has been through this stage


def _funnel_rows() -> list[tuple]:
    rows = []
    for (kind, value, label), reached in FUNNELS.items():
        deals = reached[0]
        for index, (code, order, zh, en, stage_type) in enumerate(STAGES):
            adjacent = reached[index + 1] / reached[index] if stage_type == "open" else None
            rows.append((kind, value, label, code, order, zh, en, stage_type, deals, reached[index], reached[index],
                         0, 0, 0, adjacent, reached[index] / deals, None, AS_OF))
    return rows


def _stage(code: str) -> tuple:
    return next(stage for stage in STAGES if stage[0] == code)


def _rows(table: str) -> list[tuple]:
    if table == "mart_funnel_conversion":
        return _funnel_rows()
    if table == "mart_stage_velocity":
        return [(code, _stage(code)[1], _stage(code)[2], _stage(code)[3], _stage(code)[4], measure, 10, avg, median,
                 p90, 1, 200, AS_OF) for measure, code, avg, median, p90 in VELOCITY]
    if table == "mart_loss_reasons":
        return [(month, code, zh, en, "proposal", deals, 0.1, amount, rank, rank is not None and rank <= 3, AS_OF)
                for month, code, zh, en, deals, amount, rank in LOSS_REASONS]
    if table == "mart_stale_deals":
        return [(f"deal-{i}", "hubspot", name, code, _stage(code)[2], _stage(code)[3], None, True, days, 30, over,
                 f"owner-{i}", owner, "华东大客户部", f"c{i}", name, "referral", amount, AS_OF)
                for i, (name, owner, code, days, over, amount) in enumerate(STALE_DEALS)]
    if table == "dim_channel":
        return [("wechat_ads", 2, "微信广告", "WeChat ads"), ("referral", 5, "客户推荐", "Customer referral")]
    return list(FORECAST)


def build_warehouse(path: Path, skip: tuple[str, ...] = (), forecast_ddl: str | None = None) -> Path:
    """A warehouse with hand-written marts (the real column names), without the tables in `skip`."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        for table, columns in DDL.items():
            if table in skip:
                continue
            if table == "mart_forecast" and forecast_ddl:
                connection.execute(f"create table marts.mart_forecast ({forecast_ddl})")
                continue
            connection.execute(f"create table marts.{table} ({columns})")
            rows = _rows(table)
            marks = ", ".join("?" * len(rows[0]))
            connection.executemany(f"insert into marts.{table} values ({marks})", rows)
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return build_warehouse(tmp_path / "warehouse.duckdb")


@pytest.fixture
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("FUNNELHOUSE_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (CI installs Debian's chromium in .ci/run)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    return path


def without_plotlyjs(text: str) -> str:
    """The page minus the embedded plotly.js bundle (which must be there exactly once). The bundle itself holds
    'https://cdn.plot.ly/un/' as the default topojson URL of geo maps, which the report does not draw."""
    bundle = get_plotlyjs()
    assert text.count(bundle) == 1
    return text.replace(bundle, "")


def test_report_is_one_self_contained_file_with_every_section_and_the_marts_numbers(warehouse: Path) -> None:
    path = write_report(warehouse)

    assert path == settings.data_dir() / "reports" / "funnel_report.html"
    text = path.read_text(encoding="utf-8")
    page = without_plotlyjs(text)
    assert "cdn.plot.ly" not in page
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assert "@font-face" not in page and "@import" not in page
    for title in ["Sales funnel report 销售漏斗报告", f"As of <b id=\"as-of\">{AS_OF}</b>", *SECTION_TITLES]:
        assert title in page, title
    assert re.search(r"generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", page)
    # the funnel table: stage (中文 English), reached, entered, → next, from the top
    assert "<td>方案/报价 Proposal</td><td class=\"num\">45</td><td class=\"num\">45</td>" \
           "<td class=\"num\">66.7%</td><td class=\"num\">45.0%</td>" in page
    assert "100 deals, 20 won (20.0%), 50 lost (50.0%)." in page
    assert "客户推荐 Customer referral (20)" in page and "微信广告 WeChat ads (40)" in page
    assert ("20 lost deals over all months. The top 3 given reasons account for 14 (70.0%); "
            "6 (30.0%) have no reason given") in page
    stale = [page.index(name) for name in ("华东物流 - 年度订阅", "Beta pilot", "Acme renewal")]
    assert stale == sorted(stale)  # most days over the threshold first
    assert "<td>华东物流 - 年度订阅</td><td>周文</td><td>方案/报价 Proposal</td><td class=\"num\">75</td>" \
           "<td class=\"num\">45</td><td class=\"num\">120,000</td>" in page
    assert "(all 3)" in page
    assert ("Expected (probability-weighted) amount: CNY 90,000 over 3 deals (unweighted pipeline CNY 200,000), "
            "by expected close month. 1 more open deals have no expected close month and are not shown.") in page
    assert "forecast not built yet" not in page
    with duckdb.connect(str(warehouse)) as connection:  # closed after reading: it opens for writing again
        connection.execute("select 1")


def test_report_renders_its_charts_in_headless_chromium(chromium: str, warehouse: Path) -> None:
    path = write_report(warehouse)
    with Browser(chromium, window=(1600, 3400)) as browser:
        # generous deadlines, not waits: both return as soon as the page shows what they look for, and a loaded
        # machine (CI beside another build) may need far longer than an idle one
        text = browser.open(path.resolve().as_uri(), until=SECTION_TITLES + ["Acme renewal"], timeout=120)
        drawn = wait_for_charts(browser, expected=5, timeout=120)
        shot = browser.screenshot(settings.data_dir() / "reports" / "funnel_report.png")
    assert [title for title in SECTION_TITLES if title not in text] == []
    assert drawn["plots"] == ["chart-funnel", "chart-channel", "chart-velocity", "chart-pareto", "chart-forecast"]
    assert drawn["funnelBars"] == 6  # lead .. negotiation and won
    assert "3030.0% of all · 66.7% → next" in drawn["funnelTexts"]  # negotiation: reached, cumulative, adjacent
    assert drawn["heatmapImages"] == 1
    assert drawn["paretoBars"] == 4 and drawn["paretoLine"] == 1
    assert drawn["forecastBars"] == 2
    assert drawn["remote"] == []  # nothing fetched from the network
    assert shot.stat().st_size > 20_000


CHART_PROBE = """JSON.stringify({
  plots: [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).map(p => p.id),
  mainSvgs: document.querySelectorAll('.js-plotly-plot .main-svg').length,
  funnelBars: document.querySelectorAll('#chart-funnel .funnellayer .trace .point path').length,
  funnelTexts: [...document.querySelectorAll('#chart-funnel .funnellayer text')].map(t => t.textContent),
  heatmapImages: document.querySelectorAll('#chart-channel .hm image').length,
  paretoBars: document.querySelectorAll('#chart-pareto .barlayer .point path').length,
  paretoLine: document.querySelectorAll('#chart-pareto .scatterlayer .trace .js-line').length,
  forecastBars: document.querySelectorAll('#chart-forecast .barlayer .point path').length,
  remote: performance.getEntriesByType('resource').map(e => e.name).filter(n => /^(https?|wss?):/.test(n)),
})"""


def wait_for_charts(browser: Browser, expected: int, timeout: float = 20) -> dict:
    """What the page drew, once `expected` plots have their SVG (or after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        result = browser._call("Runtime.evaluate", expression=CHART_PROBE, returnByValue=True)
        drawn = json.loads(result["result"]["value"])
        if (len(drawn["plots"]) >= expected and drawn["funnelBars"]) or time.monotonic() > deadline:
            assert drawn["mainSvgs"] >= expected, drawn
            return drawn
        time.sleep(0.2)


def test_without_the_forecast_mart_the_section_says_so(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path / "w.duckdb", skip=("mart_forecast", "dim_channel"))
    page = without_plotlyjs(write_report(warehouse, tmp_path / "out" / "r.html").read_text(encoding="utf-8"))
    assert '<p class="note">forecast not built yet (run the refresh)</p>' in page
    assert 'id="chart-forecast"' not in page
    assert 'id="chart-funnel"' in page and 'id="chart-pareto"' in page
    assert "客户推荐 (20)" in page  # no dim_channel: the channel's label from the mart


def test_a_forecast_mart_without_the_columns_it_needs_is_a_note_not_a_failure(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path / "w.duckdb", forecast_ddl="deal_id varchar, owner varchar")
    page = write_report(warehouse, tmp_path).read_text(encoding="utf-8")  # a folder: funnel_report.html in it
    assert ("marts.mart_forecast has no column expected_close_month, weighted_amount_reporting; rebuild it with the "
            "refresh" in page)
    assert (tmp_path / "funnel_report.html").exists()


def test_a_forecast_of_close_dates_with_a_weighted_amount_column_draws_one_bar_per_month(tmp_path: Path) -> None:
    """The brief's column names (weighted_amount, no amount_reporting) and close dates instead of month starts."""
    ddl = "deal_id varchar, expected_close_month date, weighted_amount double"
    warehouse = build_warehouse(tmp_path / "w.duckdb", forecast_ddl=ddl)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("insert into marts.mart_forecast values ('a', '2026-10-03', 1000), ('b', '2026-10-28', 500),"
                           " ('c', '2026-12-15', 250.4)")
    page = without_plotlyjs(write_report(warehouse).read_text(encoding="utf-8"))
    assert "Expected (probability-weighted) amount: CNY 1,750 over 3 deals, by expected close month." in page
    assert '"x":["2026-10","2026-12"]' in page and '"y":[1500.0,250.4]' in page


def test_a_missing_mart_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path / "w.duckdb", skip=("mart_stage_velocity",))
    with pytest.raises(FunnelhouseError) as raised:
        write_report(warehouse)
    assert str(raised.value) == (f"{warehouse}: missing table marts.mart_stage_velocity; "
                                 "run `funnelhouse refresh` or the demo first")
    assert not (settings.data_dir() / "reports" / "funnel_report.html").exists()


def test_a_warehouse_before_the_dbt_build_names_every_missing_mart(tmp_path: Path) -> None:
    warehouse = tmp_path / "raw_only.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema raw_forms; create table raw_forms.leads (id integer)")
    with pytest.raises(FunnelhouseError) as raised:
        write_report(warehouse)
    assert str(raised.value) == (
        f"{warehouse}: missing tables marts.mart_funnel_conversion, marts.mart_stage_velocity, "
        "marts.mart_loss_reasons, marts.mart_stale_deals; run `funnelhouse refresh` or the demo first")


def test_no_warehouse_file_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(FunnelhouseError, match=r"nowhere\.duckdb: no warehouse here; run `funnelhouse refresh` or "):
        write_report(tmp_path / "nowhere.duckdb")


def test_cli_report_writes_under_the_data_folder_and_prints_the_path(warehouse: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["report", "--warehouse", str(warehouse)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    expected = settings.data_dir() / "reports" / "funnel_report.html"
    assert result.output.strip() == f"Report written to {expected}"
    assert expected.stat().st_size > 1_000_000  # plotly.js is in it

    broken = build_warehouse(tmp_path / "broken.duckdb", skip=("mart_stale_deals",))
    failed = runner.invoke(app, ["report", "--warehouse", str(broken), "--out", str(tmp_path / "x.html")],
                           env={"COLUMNS": "250"})
    assert failed.exit_code == 2
    assert (f"error: {broken}: missing table marts.mart_stale_deals; run `funnelhouse refresh` or the demo first"
            in failed.output)
    assert not (tmp_path / "x.html").exists()
