"""Read what the HTML funnel report shows from the marts of the warehouse (any kind, through its Connection)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from funnelhouse.warehouse import Connection, Warehouse, current
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
def connect_read_only(warehouse: Path, store: Warehouse | None = None) -> Iterator[Connection]:
    """A read-only connection to the warehouse (`store`, default the kind of the settings with the DuckDB file
    `warehouse`), closed on exit; FunnelhouseError when it cannot be opened."""
    store = store or current(duckdb_file=warehouse)
    path = Path(warehouse)
    if store.is_file and not path.is_file():
        raise FunnelhouseError(f"{path}: no warehouse here; {BUILD_HINT}")
    try:
        connection = store.open(read_only=True)
    except FunnelhouseError:
        raise
    except Exception as exc:  # the engine's own error (DuckDB: the file is locked or not a database)
        raise FunnelhouseError(f"{store.describe()}: cannot open the warehouse read-only ({_first_line(exc)})") \
            from exc
    try:
        yield connection
    finally:
        connection.close()


def _doubles(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    """The columns `names` as floats (Postgres' numerics come as Decimal: the charts want numbers)."""
    for name in names:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def columns_of(connection: Connection, table: str, schema: str = SCHEMA) -> set[str]:
    """Column names of schema.table, lower-cased; empty when the table does not exist."""
    return {name.lower() for name, _ in connection.columns(schema, table)}


def require_marts(connection: Connection, warehouse: Path) -> None:
    """FunnelhouseError naming the marts the report needs that the warehouse does not have."""
    missing = [f"{SCHEMA}.{table}" for table in REQUIRED_TABLES if not columns_of(connection, table)]
    if missing:
        noun = "table" if len(missing) == 1 else "tables"
        raise FunnelhouseError(f"{warehouse}: missing {noun} {', '.join(missing)}; {BUILD_HINT}")


def as_of_dates(connection: Connection) -> list[date]:
    """The distinct as_of_date values of the required marts: one date unless they were built on different days."""
    union = " union ".join(f"select distinct as_of_date from {SCHEMA}.{table}" for table in REQUIRED_TABLES)
    rows = connection.execute(
        f"select as_of_date from ({union}) as marts where as_of_date is not null order by 1").fetchall()
    return [value for (value,) in rows]


def reporting_currency(connection: Connection) -> str:
    """The reporting currency the amount marts say (column reporting_currency); CNY when none says one."""
    for table in CURRENCY_TABLES:
        if "reporting_currency" in columns_of(connection, table):
            row = connection.execute(
                f"select min(reporting_currency) from {SCHEMA}.{table} where reporting_currency is not null"
            ).fetchone()
            if row and row[0]:
                return str(row[0])
    return DEFAULT_CURRENCY


def funnel(connection: Connection) -> pd.DataFrame:
    frame = connection.execute(f"""
        select stage_code, stage_order, stage_name_zh, stage_name_en, stage_type, deals_in_segment, reached, entered,
               adjacent_conversion_rate, cumulative_conversion_rate
        from {SCHEMA}.mart_funnel_conversion
        where segment_type = 'overall'
        order by stage_order
    """).df()
    return _doubles(frame, "adjacent_conversion_rate", "cumulative_conversion_rate")


def channels(connection: Connection) -> pd.DataFrame:
    """Cumulative conversion per channel and stage; English channel names from dim_channel when it has them."""
    has_names = {"channel_code", "name_en"} <= columns_of(connection, "dim_channel")
    name_en = "c.name_en" if has_names else "f.segment_label"
    join = f"left join {SCHEMA}.dim_channel as c on c.channel_code = f.segment_value" if has_names else ""
    frame = connection.execute(f"""
        select f.segment_value as channel_code, f.segment_label as channel_name, {name_en} as channel_name_en,
               f.stage_code, f.stage_order, f.stage_name_zh, f.stage_name_en, f.deals_in_segment, f.reached,
               f.cumulative_conversion_rate
        from {SCHEMA}.mart_funnel_conversion as f
        {join}
        where f.segment_type = 'channel' and f.stage_type in ('open', 'won')
        order by f.segment_value, f.stage_order
    """).df()
    if not has_names:
        frame["channel_name_en"] = None
    return _doubles(frame, "cumulative_conversion_rate")


def velocity(connection: Connection) -> pd.DataFrame:
    frame = connection.execute(f"""
        select stage_code, stage_order, stage_name_zh, stage_name_en, stage_type, measure, deals_measured,
               avg_days, median_days, p90_days
        from {SCHEMA}.mart_stage_velocity
        order by stage_order
    """).df()
    return _doubles(frame, "avg_days", "median_days", "p90_days")


def loss_reasons(connection: Connection) -> pd.DataFrame:
    """Lost deals per normalised reason over all months: given reasons by count, then 'not given' (no rank) last;
    cumulative_share is of all lost deals."""
    # ordered outside the aggregate: Spark cannot order by an aggregate of a column its own alias shadows
    frame = connection.execute(f"""
        select * from (
            select loss_reason_code, min(reason_name_zh) as reason_name_zh, min(reason_name_en) as reason_name_en,
                   cast(sum(lost_deals) as bigint) as lost_deals,
                   coalesce(sum(amount_lost_reporting), 0) as amount_lost_reporting,
                   min(reason_rank) is null as is_not_given
            from {SCHEMA}.mart_loss_reasons
            group by loss_reason_code
        ) as reasons
        order by is_not_given, lost_deals desc, loss_reason_code
    """).df()
    frame = _doubles(frame, "amount_lost_reporting")
    frame["lost_deals"] = frame["lost_deals"].astype("int64")
    total = frame["lost_deals"].sum()
    frame["share"] = frame["lost_deals"] / total if total else 0.0
    frame["cumulative_share"] = frame["share"].cumsum()
    return frame


def stale_deals(connection: Connection, limit: int = STALE_DEALS_SHOWN) -> tuple[pd.DataFrame, int]:
    """The most overdue stale deals (no emails or phones: the mart has none) and how many there are in all."""
    frame = connection.execute(f"""
        select deal_name, owner_name, team_name, current_stage_code, stage_name_zh, stage_name_en, days_in_stage,
               stale_after_days, days_over_threshold, amount_reporting
        from {SCHEMA}.mart_stale_deals
        order by days_over_threshold desc nulls last, amount_reporting desc nulls last, deal_name
        limit ?
    """, [int(limit)]).df()
    frame = _doubles(frame, "amount_reporting")
    (total,) = connection.execute(f"select count(*) from {SCHEMA}.mart_stale_deals").fetchone()
    return frame, int(total)


def forecast(
    connection: Connection, columns: set[str]
) -> tuple[pd.DataFrame | None, str | None, int]:
    """Weighted (and, when there, unweighted) amount and deals per expected close month, or a note why not, and
    how many deals have no expected close month."""
    if not columns:
        return None, FORECAST_MISSING_NOTE, 0
    weighted = next((name for name in FORECAST_WEIGHTED if name in columns), None)
    missing = ([] if FORECAST_MONTH in columns else [FORECAST_MONTH]) + ([] if weighted else [FORECAST_WEIGHTED[0]])
    if missing:
        return None, f"{SCHEMA}.{FORECAST_TABLE} has no column {', '.join(missing)}; rebuild it with the refresh", 0
    amount = "sum(amount_reporting)" if "amount_reporting" in columns else "null"
    try:
        frame = _forecast_by_month(connection, weighted, amount)
    except connection.errors as exc:  # a half-built or differently typed mart must not take the whole report down
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


def _forecast_by_month(connection: Connection, weighted: str, amount: str) -> pd.DataFrame:
    frame = connection.execute(f"""
        select {FORECAST_MONTH}, sum({weighted}) as weighted_amount, {amount} as amount_reporting,
               count(*) as deals
        from {SCHEMA}.{FORECAST_TABLE}
        group by {FORECAST_MONTH}
    """).df()
    frame = _doubles(frame, "weighted_amount", "amount_reporting")
    frame["deals"] = frame["deals"].astype("int64")
    return frame


def _month_label(value: object) -> str:
    """'2026-10' for a date, timestamp or 'YYYY-MM-DD' text; other values as they are."""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m")
    text = str(value)
    return text[:7] if len(text) >= 10 and text[4] == "-" and text[7] == "-" else text


def load_report_data(warehouse: Path, store: Warehouse | None = None) -> ReportData:
    """Read every section's data from `store` (default: the settings' kind, DuckDB file `warehouse`);
    FunnelhouseError (one line) when a mart is missing or cannot be read."""
    store = store or current(duckdb_file=warehouse)
    where = warehouse if store.is_file else store.describe()
    with connect_read_only(warehouse, store) as connection:
        require_marts(connection, where)
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
        except connection.errors as exc:
            raise FunnelhouseError(f"{where}: cannot read the marts ({_first_line(exc)}); {BUILD_HINT}") from exc
