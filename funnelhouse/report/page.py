"""The report's single HTML page: header, six sections, plotly.js embedded once (no CDN, no web fonts)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from html import escape

import pandas as pd
import plotly.graph_objects as go

from funnelhouse.neutralise import neutralise
from funnelhouse.report import charts
from funnelhouse.report.charts import percent, stage_label
from funnelhouse.report.queries import ReportData

TITLE = "Sales funnel report 销售漏斗报告"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
SECTION_TITLES = {
    "funnel": "1. Funnel 销售漏斗",
    "channels": "2. Conversion by channel 渠道转化",
    "velocity": "3. Time in stage 阶段停留时间",
    "loss-reasons": "4. Loss reasons (Pareto) 输单原因",
    "stale-deals": "5. Stale deals 停滞商机",
    "forecast": "6. Forecast 成交预测",
}
CHANNEL_CAPTION = ("Share of each channel's deals that reached a stage (cumulative conversion); best win rate on top; "
                   "deals per channel in brackets.")
VELOCITY_CAPTION = ("Days deals spent in each open stage before leaving it (deals still in a stage are not counted), "
                    "and days from creation to won or lost.")
CSS = """
body { font-family: %s; margin: 0; background: #f5f7fa; color: #1f2933; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 48px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 2px 0; color: #52606d; }
nav a { margin-right: 14px; color: #2f6db5; text-decoration: none; font-size: 14px; }
section { background: white; border-radius: 8px; padding: 16px 20px; margin-top: 20px;
          box-shadow: 0 1px 3px rgba(0, 0, 0, .08); }
section h2 { margin: 0 0 6px; font-size: 20px; }
p.caption { color: #52606d; margin: 4px 0 10px; font-size: 14px; }
p.note { background: #fff8e6; border-left: 4px solid #e08a1e; padding: 10px 14px; margin: 8px 0; }
table { border-collapse: collapse; width: 100%%; font-size: 14px; }
th, td { padding: 6px 10px; border-bottom: 1px solid #e4e7eb; text-align: left; }
th { background: #f0f3f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
""" % charts.FONT


def render_report(data: ReportData, generated_at: datetime, source: str) -> str:
    """The whole page as one string; every figure is drawn by the plotly.js embedded before the first one."""
    sections = [
        ("funnel", funnel_section(data.funnel)),
        ("channels", chart_or_note(data.channels, charts.channel_figure, CHANNEL_CAPTION,
                                   "no channel segments in the funnel mart")),
        ("velocity", chart_or_note(data.velocity, charts.velocity_figure, VELOCITY_CAPTION,
                                   "no stage durations in the velocity mart")),
        ("loss-reasons", loss_reason_section(data.loss_reasons, data.currency)),
        ("stale-deals", stale_deal_section(data.stale_deals, data.stale_total, data.currency)),
        ("forecast", forecast_section(data.forecast, data.forecast_note, data.forecast_undated, data.currency)),
    ]
    body = "\n".join(section(key, html) for key, html in sections)
    return PAGE.format(title=escape(TITLE), css=CSS, header=header(data.as_of_dates, generated_at, source),
                       nav=navigation(), body=_embed_plotlyjs_once(body))


PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
{header}
{nav}
{body}
</main>
</body>
</html>
"""
PLOTLYJS_MARKER = "<!--plotlyjs-->"


def header(as_of_dates: list[date], generated_at: datetime, source: str) -> str:
    as_of = ", ".join(day.isoformat() for day in as_of_dates) or "unknown"
    if len(as_of_dates) > 1:
        as_of += " (the marts were built on different days: run the refresh)"
    generated = generated_at.isoformat(timespec="seconds")
    return (f'<header><h1>{escape(TITLE)}</h1><p>As of <b id="as-of">{escape(as_of)}</b> · generated '
            f'{escape(generated)} · warehouse {escape(source)}</p></header>')


def navigation() -> str:
    links = "".join(f'<a href="#{key}">{escape(title)}</a>' for key, title in SECTION_TITLES.items())
    return f"<nav>{links}</nav>"


def section(key: str, inner: str) -> str:
    return f'<section id="{key}"><h2>{escape(SECTION_TITLES[key])}</h2>\n{inner}\n</section>'


def figure_html(figure: go.Figure, div_id: str) -> str:
    """A figure's div and script, without plotly.js; the first one on the page gets it (see _embed_plotlyjs_once)."""
    return PLOTLYJS_MARKER + figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                                            config=PLOTLY_CONFIG, default_width="100%")


def _embed_plotlyjs_once(body: str) -> str:
    """plotly.js inline before the first figure (as include_plotlyjs=True would put it); later markers dropped."""
    from plotly.offline import get_plotlyjs

    first, marker, rest = body.partition(PLOTLYJS_MARKER)
    if not marker:
        return body
    script = (f"<script>window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script>"
              f'<script type="text/javascript">{get_plotlyjs()}</script>')
    return first + script + rest.replace(PLOTLYJS_MARKER, "")


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def caption(text: str) -> str:
    return f'<p class="caption">{escape(text)}</p>'


def chart_or_note(frame: pd.DataFrame, build: Callable[[pd.DataFrame], go.Figure], text: str,
                  empty_note: str) -> str:
    """A caption and the chart `build` draws from `frame`, or a note when the frame is empty."""
    if frame.empty:
        return note(empty_note)
    return caption(text) + figure_html(build(frame), "chart-" + build.__name__.removesuffix("_figure"))


def funnel_section(funnel: pd.DataFrame) -> str:
    stages = funnel[funnel["stage_type"].isin(["open", "won"])]
    if stages.empty:
        return note("no deals in the funnel mart")
    return funnel_caption(funnel) + figure_html(charts.funnel_figure(funnel), "chart-funnel") + funnel_table(funnel)


def funnel_caption(funnel: pd.DataFrame) -> str:
    deals = int(funnel["deals_in_segment"].max())
    parts = [f"{deals:,} deals"]
    for kind in ("won", "lost"):
        rows = funnel[funnel["stage_type"] == kind]
        if not rows.empty:
            row = rows.iloc[0]
            parts.append(f"{int(row['reached']):,} {kind} ({percent(row['cumulative_conversion_rate'])})")
    return caption(", ".join(parts) + ". A deal counts as reaching a stage when it got there or to a later stage; "
                   "bars show deals reached, the share of all deals and the conversion to the next stage.")


def funnel_table(funnel: pd.DataFrame) -> str:
    rows = [[stage_label(r.stage_name_zh, r.stage_name_en), f"{int(r.reached):,}", f"{int(r.entered):,}",
             percent(r.adjacent_conversion_rate), percent(r.cumulative_conversion_rate)]
            for r in funnel.itertuples()]
    return html_table(["stage", "reached", "entered", "→ next stage", "from the top"], rows, numeric_from=1,
                      table_id="funnel-table")


def loss_reason_section(reasons: pd.DataFrame, currency: str = "CNY") -> str:
    total = int(reasons["lost_deals"].sum())
    if total == 0:
        return note("no lost deals in the loss-reason mart")
    not_given = int(reasons.loc[reasons["is_not_given"], "lost_deals"].sum())
    given = reasons[~reasons["is_not_given"]]
    top3 = int(given["lost_deals"].head(3).sum())
    text = (f"{total:,} lost deals over all months. The top 3 given reasons account for {top3:,} "
            f"({percent(top3 / total)}); {not_given:,} ({percent(not_given / total)}) have no reason given (grey, "
            "last). The line is the cumulative share of all lost deals; the dotted line marks 80%.")
    return caption(text) + figure_html(charts.pareto_figure(reasons, currency), "chart-pareto")


def stale_deal_section(deals: pd.DataFrame, total: int, currency: str = "CNY") -> str:
    if deals.empty:
        return note("no stale deals: every open deal moved within its stage's threshold")
    shown = f"the {len(deals):,} most overdue of {total:,}" if total > len(deals) else f"all {total:,}"
    rows = [[_text(r.deal_name), _text(r.owner_name), stage_label(r.stage_name_zh, r.stage_name_en),
             _integer(r.days_in_stage), _integer(r.days_over_threshold), _integer(r.amount_reporting)]
            for r in deals.itertuples()]
    return (caption(f"Open deals that stayed in their stage longer than its threshold, most overdue first ({shown}).")
            + html_table(["deal", "owner", "stage", "days in stage", "days over threshold", f"amount ({currency})"],
                         rows,
                         numeric_from=3, table_id="stale-deals-table"))


def forecast_section(forecast: pd.DataFrame | None, forecast_note: str | None, undated: int,
                     currency: str = "CNY") -> str:
    if forecast is None:
        return note(forecast_note or "no forecast")
    weighted = forecast["weighted_amount"].sum()
    deals = int(forecast["deals"].sum())
    text = f"Expected (probability-weighted) amount: {currency} {weighted:,.0f} over {deals:,} deals"
    if forecast["amount_reporting"].notna().any():
        text += f" (unweighted pipeline {currency} {forecast['amount_reporting'].sum():,.0f})"
    text += ", by expected close month."
    if undated:
        text += f" {undated:,} more open deals have no expected close month and are not shown."
    return caption(text) + figure_html(charts.forecast_figure(forecast, currency), "chart-forecast")


def html_table(columns: list[str], rows: list[list[str]], numeric_from: int, table_id: str) -> str:
    def cell(tag: str, index: int, value: str) -> str:
        css = ' class="num"' if index >= numeric_from else ""
        return f"<{tag}{css}>{escape(value if index >= numeric_from else neutralise(value))}</{tag}>"

    head = "".join(cell("th", i, name) for i, name in enumerate(columns))
    body = "".join("<tr>" + "".join(cell("td", i, value) for i, value in enumerate(row)) + "</tr>\n" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>'


def _text(value: object) -> str:
    return str(value) if charts.present(value) else ""


def _integer(value: object) -> str:
    return f"{float(value):,.0f}" if charts.present(value) else ""
