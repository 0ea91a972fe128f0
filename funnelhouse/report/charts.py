"""Plotly figures of the funnel report: funnel, conversion by channel, time in stage, loss-reason Pareto, forecast."""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

FONT = ('system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", '
        '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif')
BLUE, GREEN, ORANGE, GREY, RED = "#2f6db5", "#2e9d5b", "#e08a1e", "#9aa3ad", "#c8453a"
STAGE_COLOURS = ["#1f4e8c", "#2f6db5", "#4a8bd0", "#6fa7dd", "#98c1e8"]
MEASURE_COLOURS = {"avg_days": BLUE, "median_days": "#7fb0e0", "p90_days": ORANGE}
MEASURE_NAMES = {"avg_days": "average", "median_days": "median", "p90_days": "90th percentile"}


def stage_label(zh: object, en: object) -> str:
    """'线索 Lead': the Chinese and the English name of a stage (either may be missing)."""
    return " ".join(str(part) for part in (zh, en) if present(part)) or "?"


def percent(rate: object, digits: int = 1) -> str:
    return f"{float(rate):.{digits}%}" if present(rate) else ""


def present(value: object) -> bool:
    if value is None or value is pd.NA:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _style(figure: go.Figure, height: int, **layout: object) -> go.Figure:
    figure.update_layout(template="plotly_white", height=height, font={"family": FONT, "size": 13},
                         margin={"l": 20, "r": 20, "t": 40, "b": 40}, **layout)
    return figure


def funnel_figure(funnel: pd.DataFrame) -> go.Figure:
    """Deals that reached each open stage and won, with the share of all deals and the conversion to the next."""
    stages = funnel[funnel["stage_type"].isin(["open", "won"])]
    labels = [stage_label(zh, en) for zh, en in zip(stages["stage_name_zh"], stages["stage_name_en"])]
    texts = [_funnel_text(reached, cumulative, adjacent, kind) for reached, cumulative, adjacent, kind in zip(
        stages["reached"], stages["cumulative_conversion_rate"], stages["adjacent_conversion_rate"],
        stages["stage_type"])]
    colours = [GREEN if kind == "won" else STAGE_COLOURS[min(i, len(STAGE_COLOURS) - 1)]
               for i, kind in enumerate(stages["stage_type"])]
    trace = go.Funnel(
        y=labels, x=stages["reached"].tolist(), text=texts, textinfo="text", textposition="inside",
        customdata=stages["entered"].tolist(), marker={"color": colours},
        connector={"fillcolor": "#e4e9f0", "line": {"width": 0}}, insidetextfont={"color": "white"},
        hovertemplate="%{y}<br>reached: %{x:,}<br>entered: %{customdata:,}<br>%{text}<extra></extra>",
    )
    return _style(go.Figure(trace), height=440, yaxis={"title": None}, showlegend=False)


def _funnel_text(reached: int, cumulative: object, adjacent: object, stage_type: str) -> str:
    parts = [f"<b>{int(reached):,}</b>", f"{percent(cumulative)} of all"]
    if stage_type == "open" and present(adjacent):
        parts.append(f"{percent(adjacent)} → next")
    return parts[0] + "<br>" + " · ".join(parts[1:])


def channel_label(name: object, name_en: object, deals: object) -> str:
    base = stage_label(name, name_en if present(name_en) and name_en != name else None)
    return f"{base} ({int(deals):,})"


def channel_figure(channels: pd.DataFrame) -> go.Figure:
    """Heatmap of cumulative conversion (share of the channel's deals that reached a stage), best win rate on top."""
    stages = channels.drop_duplicates("stage_order").sort_values("stage_order")
    rows = channels.drop_duplicates("channel_code").set_index("channel_code")
    rates = channels.pivot(index="channel_code", columns="stage_order", values="cumulative_conversion_rate")
    reached = channels.pivot(index="channel_code", columns="stage_order", values="reached")
    order = rates.sort_values(by=list(reversed(rates.columns)), ascending=False).index
    rates, reached = rates.loc[order, stages["stage_order"]], reached.loc[order, stages["stage_order"]]
    labels = [channel_label(rows.at[code, "channel_name"], rows.at[code, "channel_name_en"],
                            rows.at[code, "deals_in_segment"]) for code in order]
    columns = [stage_label(zh, en) for zh, en in zip(stages["stage_name_zh"], stages["stage_name_en"])]
    trace = go.Heatmap(
        z=rates.to_numpy(), x=columns, y=labels, customdata=reached.to_numpy(), zmin=0, zmax=1, colorscale="Blues", texttemplate="%{z:.0%}",
        colorbar={"title": {"text": "reached"}, "tickformat": ".0%"}, xgap=2, ygap=2,
        hovertemplate="%{y}<br>%{x}: %{z:.1%} (%{customdata:,} deals)<extra></extra>",
    )
    return _style(go.Figure(trace), height=max(260, 60 + 42 * len(labels)), yaxis={"autorange": "reversed"},
                  xaxis={"side": "top"})


def velocity_figure(velocity: pd.DataFrame) -> go.Figure:
    """Average, median and 90th-percentile days in each open stage, and cycle length of won and lost deals."""
    panels = [("time_in_stage", "Days in each open stage"), ("cycle_length", "Cycle length: created → won / lost")]
    figure = make_subplots(rows=1, cols=2, column_widths=[0.68, 0.32], subplot_titles=[title for _, title in panels],
                           horizontal_spacing=0.08)
    for column, (measure, _) in enumerate(panels, start=1):
        rows = velocity[velocity["measure"] == measure].sort_values("stage_order")
        labels = [stage_label(zh, en) for zh, en in zip(rows["stage_name_zh"], rows["stage_name_en"])]
        for field, colour in MEASURE_COLOURS.items():
            figure.add_trace(go.Bar(
                x=labels, y=rows[field].tolist(), name=MEASURE_NAMES[field], marker={"color": colour},
                legendgroup=field, showlegend=column == 1, customdata=rows["deals_measured"].tolist(),
                texttemplate="%{y:.0f}", textposition="outside",
                hovertemplate="%{x}<br>" + MEASURE_NAMES[field] + ": %{y:.1f} days<br>deals: %{customdata:,}"
                              "<extra></extra>",
            ), row=1, col=column)
    figure.update_yaxes(title_text="days", row=1, col=1)
    return _style(figure, height=420, barmode="group", legend={"orientation": "h", "y": -0.15})


def pareto_figure(reasons: pd.DataFrame, currency: str = "CNY") -> go.Figure:
    """Lost deals per normalised reason (most frequent first, 'not given' last) and their cumulative share."""
    labels = [stage_label(zh, en) for zh, en in zip(reasons["reason_name_zh"], reasons["reason_name_en"])]
    colours = [GREY if not_given else RED for not_given in reasons["is_not_given"]]
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Bar(
        x=labels, y=reasons["lost_deals"].tolist(), name="lost deals", marker={"color": colours},
        customdata=list(zip(reasons["share"], reasons["amount_lost_reporting"])), texttemplate="%{y:,}",
        textposition="outside",
        hovertemplate="%{x}<br>lost deals: %{y:,} (%{customdata[0]:.1%})<br>amount lost: " + currency
                      + " %{customdata[1]:,.0f}"
                      "<extra></extra>",
    ), secondary_y=False)
    figure.add_trace(go.Scatter(
        x=labels, y=reasons["cumulative_share"].tolist(), name="cumulative share", mode="lines+markers",
        line={"color": "#333f4d"}, hovertemplate="%{x}<br>cumulative: %{y:.1%}<extra></extra>",
    ), secondary_y=True)
    figure.add_hline(y=0.8, line={"dash": "dot", "color": GREY}, secondary_y=True)
    top = max(1, int(reasons["lost_deals"].max()))
    figure.update_yaxes(title_text="lost deals", range=[0, top * 1.15], secondary_y=False)
    figure.update_yaxes(title_text="cumulative share of lost deals", tickformat=".0%", range=[0, 1.15], dtick=0.2,
                        secondary_y=True, showgrid=False)
    return _style(figure, height=420, legend={"orientation": "h", "y": -0.2})


def forecast_figure(forecast: pd.DataFrame, currency: str = "CNY") -> go.Figure:
    """Expected (probability-weighted) amount per expected close month, and the unweighted amount when known."""
    months = forecast["month"].tolist()
    figure = go.Figure(go.Bar(
        x=months, y=forecast["weighted_amount"].tolist(), name="expected (weighted) amount", marker={"color": BLUE},
        customdata=forecast["deals"].tolist(), texttemplate="%{y:,.0f}", textposition="outside",
        hovertemplate="%{x}<br>expected: " + currency + " %{y:,.0f}<br>deals: %{customdata:,}<extra></extra>",
    ))
    if forecast["amount_reporting"].notna().any():
        figure.add_trace(go.Scatter(
            x=months, y=forecast["amount_reporting"].tolist(), name="pipeline amount (unweighted)",
            mode="markers+lines",
            line={"color": ORANGE, "dash": "dot"},
            hovertemplate="%{x}<br>unweighted: " + currency + " %{y:,.0f}<extra></extra>",
        ))
    figure.update_xaxes(type="category", title_text="expected close month")
    figure.update_yaxes(title_text=currency, tickformat=",.0f")
    return _style(figure, height=400, legend={"orientation": "h", "y": -0.25})
