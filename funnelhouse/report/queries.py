"""Read what the HTML funnel report shows from the marts of a DuckDB warehouse, opened read-only and closed after."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ingestion.common.errors import FunnelhouseError

SCHEMA = "marts"
REQUIRED_TABLES = ("mart_funnel_conversion", "mart_stage_velocity", "mart_loss_reasons", "mart_stale_deals")
FORECAST_TABLE = "mart_forecast"
FORECAST_MONTH = "expected_close_month"
FORECAST_WEIGHTED = ("weighted_amount_reporting", "weighted_amount")  # the first one the mart has
BUILD_HINT = "run `funnelhouse refresh` or the demo first"
FORECAST_MISSING_NOTE = "forecast not built yet (run the refresh)"
STALE_DEALS_SHOWN = 200
DEFAULT_CURRENCY = "CNY"  # the reporting currency of marts built before they said theirs
CURRENCY_TABLES = ("mart_loss_reasons", "mart_stale_deals", FORECAST_TABLE)


@dataclass(frozen=True)
class ReportData:
    """Everything the report draws, as small DataFrames, plus what the header and the notes say."""

    as_of_dates: list[date]  # distinct as_of_date values of the marts (one when they were built together)
    funnel: pd.DataFrame  # overall funnel, every stage (open, won, lost) in stage order
    channels: pd.DataFrame  # cumulative conversion per channel and stage (open and won stages)
    velocity: pd.DataFrame  # days per stage (time_in_stage) and cycle length (cycle_length)
    loss_reasons: pd.DataFrame  # lost deals per reason over all months, Pareto order
    stale_deals: pd.DataFrame  # the most overdue open deals, at most STALE_DEALS_SHOWN
    stale_total: int
    forecast: pd.DataFrame | None  # weighted amount per expected close month; None when not available
    forecast_note: str | None  # why there is no forecast chart
    forecast_undated: int = 0  # forecast deals without an expected close month (left out of the chart)
    currency: str = DEFAULT_CURRENCY  # the marts' reporting currency (their column reporting_currency)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def connect_read_only(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse file, closed on exit; FunnelhouseError when it cannot be opened."""
    path = Path(warehouse)
    if not path.is_file():
        raise FunnelhouseError(f"{path}: no warehouse here; {BUILD_HINT}")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise FunnelhouseError(f"{path}: cannot open the warehouse read-only ({_first_line(exc)})") from exc
    try:
        yield connection
    finally:
        connection.close()


def columns_of(connection: duckdb.DuckDBPyConnection, table: str, schema: str = SCHEMA) -> set[str]:
    """Column names of schema.table, lower-cased; empty when the table does not exist."""
    rows = connection.execute(
        "select lower(column_name) from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {name for (name,) in rows}


def require_marts(connection: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """FunnelhouseError naming the marts the report needs that the warehouse does not have."""
    missing = [f"{SCHEMA}.{table}" for table in REQUIRED_TABLES if not columns_of(connection, table)]
    if missing:
        noun = "table" if len(missing) == 1 else "tables"
        raise FunnelhouseError(f"{warehouse}: missing {noun} {', '.join(missing)}; {BUILD_HINT}")


def as_of_dates(connection: duckdb.DuckDBPyConnection) -> list[date]:
    """The distinct as_of_date values of the required marts: one date unless they were built on different days."""
    union = " union ".join(f"select distinct as_of_date from {SCHEMA}.{table}" for table in REQUIRED_TABLES)
    rows = connection.execute(f"select as_of_date from ({union}) where as_of_date is not null order by 1").fetchall()
    return [value for (value,) in rows]


def reporting_currency(connection: duckdb.DuckDBPyConnection) -> str:
    """The reporting currency the amount marts say (column reporting_currency); CNY when none says one."""
    for table in CURRENCY_TABLES:
        if "reporting_currency" in columns_of(connection, table):
            row = connection.execute(
                f"select min(reporting_currency) from {SCHEMA}.{table} where reporting_currency is not null"
            ).fetchone()
            if row and row[0]:
                return str(row[0])
    return DEFAULT_CURRENCY


def funnel(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return connection.execute(f"""
        select stage_code, stage_order, stage_name_zh, stage_name_en, stage_type, deals_in_segment, reached, entered,
               cast(adjacent_conversion_rate as double) as adjacent_conversion_rate,
               cast(cumulative_conversion_rate as double) as cumulative_conversion_rate
        from {SCHEMA}.mart_funnel_conversion
        where segment_type = 'overall'
        order by stage_order
    """).df()


def channels(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Cumulative conversion per channel and stage; English channel names from dim_channel when it has them."""
    has_names = {"channel_code", "name_en"} <= columns_of(connection, "dim_channel")
    name_en = "c.name_en" if has_names else "cast(null as varchar)"
    join = f"left join {SCHEMA}.dim_channel as c on c.channel_code = f.segment_value" if has_names else ""
    return connection.execute(f"""
        select f.segment_value as channel_code, f.segment_label as channel_name, {name_en} as channel_name_en,
               f.stage_code, f.stage_order, f.stage_name_zh, f.stage_name_en, f.deals_in_segment, f.reached,
               cast(f.cumulative_conversion_rate as double) as cumulative_conversion_rate
        from {SCHEMA}.mart_funnel_conversion as f
        {join}
        where f.segment_type = 'channel' and f.stage_type in ('open', 'won')
        order by f.segment_value, f.stage_order
    """).df()


def velocity(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return connection.execute(f"""
        select stage_code, stage_order, stage_name_zh, stage_name_en, stage_type, measure, deals_measured,
               cast(avg_days as double) as avg_days, cast(median_days as double) as median_days,
               cast(p90_days as double) as p90_days
        from {SCHEMA}.mart_stage_velocity
        order by stage_order
    """).df()


def loss_reasons(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Lost deals per normalised reason over all months: given reasons by count, then 'not given' (no rank) last;
    cumulative_share is of all lost deals."""
    frame = connection.execute(f"""
        select loss_reason_code, min(reason_name_zh) as reason_name_zh, min(reason_name_en) as reason_name_en,
               cast(sum(lost_deals) as bigint) as lost_deals,
               cast(coalesce(sum(amount_lost_reporting), 0) as double) as amount_lost_reporting,
               min(reason_rank) is null as is_not_given
        from {SCHEMA}.mart_loss_reasons
        group by loss_reason_code
        order by is_not_given, lost_deals desc, loss_reason_code
    """).df()
    total = frame["lost_deals"].sum()
    frame["share"] = frame["lost_deals"] / total if total else 0.0
    frame["cumulative_share"] = frame["share"].cumsum()
    return frame


def stale_deals(connection: duckdb.DuckDBPyConnection, limit: int = STALE_DEALS_SHOWN) -> tuple[pd.DataFrame, int]:
    """The most overdue stale deals (no emails or phones: the mart has none) and how many there are in all."""
    frame = connection.execute(f"""
        select deal_name, owner_name, team_name, current_stage_code, stage_name_zh, stage_name_en, days_in_stage,
               stale_after_days, days_over_threshold, cast(amount_reporting as double) as amount_reporting
        from {SCHEMA}.mart_stale_deals
        order by days_over_threshold desc nulls last, amount_reporting desc nulls last, deal_name
        limit ?
    """, [int(limit)]).df()
    (total,) = connection.execute(f"select count(*) from {SCHEMA}.mart_stale_deals").fetchone()
    return frame, int(total)


def forecast(
    connection: duckdb.DuckDBPyConnection, columns: set[str]
) -> tuple[pd.DataFrame | None, str | None, int]:
    """Weighted (and, when there, unweighted) amount and deals per expected close month, or a note why not, and
    how many deals have no expected close month."""
    if not columns:
        return None, FORECAST_MISSING_NOTE, 0
    weighted = next((name for name in FORECAST_WEIGHTED if name in columns), None)
    missing = ([] if FORECAST_MONTH in columns else [FORECAST_MONTH]) + ([] if weighted else [FORECAST_WEIGHTED[0]])
    if missing:
        return None, f"{SCHEMA}.{FORECAST_TABLE} has no column {', '.join(missing)}; rebuild it with the refresh", 0
    amount = "cast(sum(amount_reporting) as double)" if "amount_reporting" in columns else "cast(null as double)"
    try:
        frame = _forecast_by_month(connection, weighted, amount)
    except duckdb.Error as exc:  # a half-built or differently typed mart must not take the whole report down
        return None, f"{SCHEMA}.{FORECAST_TABLE} cannot be read ({_first_line(exc)})", 0
    undated = int(frame.loc[frame[FORECAST_MONTH].isna(), "deals"].sum())
    frame = frame[frame[FORECAST_MONTH].notna()].copy()
    if frame.empty:
        return None, f"{SCHEMA}.{FORECAST_TABLE} has no deals with an expected close month", undated
    frame["month"] = [_month_label(value) for value in frame[FORECAST_MONTH]]
    # dates within one month (a close date rather than a month) become one bar
    sums = ["weighted_amount", "amount_reporting", "deals"]
    frame = frame.groupby("month", as_index=False, sort=True)[sums].sum(min_count=1)
    return frame, None, undated


def _forecast_by_month(connection: duckdb.DuckDBPyConnection, weighted: str, amount: str) -> pd.DataFrame:
    return connection.execute(f"""
        select {FORECAST_MONTH}, cast(sum({weighted}) as double) as weighted_amount, {amount} as amount_reporting,
               count(*) as deals
        from {SCHEMA}.{FORECAST_TABLE}
        group by {FORECAST_MONTH}
    """).df()


def _month_label(value: object) -> str:
    """'2026-10' for a date, timestamp or 'YYYY-MM-DD' text; other values as they are."""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m")
    text = str(value)
    return text[:7] if len(text) >= 10 and text[4] == "-" and text[7] == "-" else text


def load_report_data(warehouse: Path) -> ReportData:
    """Read every section's data; FunnelhouseError (one line) when a mart is missing or cannot be read."""
    with connect_read_only(warehouse) as connection:
        require_marts(connection, warehouse)
        try:
            stale, stale_total = stale_deals(connection)
            forecast_frame, forecast_note, undated = forecast(connection, columns_of(connection, FORECAST_TABLE))
            return ReportData(
                as_of_dates=as_of_dates(connection),
                funnel=funnel(connection),
                channels=channels(connection),
                velocity=velocity(connection),
                loss_reasons=loss_reasons(connection),
                stale_deals=stale,
                stale_total=stale_total,
                forecast=forecast_frame,
                forecast_note=forecast_note,
                forecast_undated=undated,
                currency=reporting_currency(connection),
            )
        except duckdb.Error as exc:
            raise FunnelhouseError(f"{warehouse}: cannot read the marts ({_first_line(exc)}); {BUILD_HINT}") from exc
