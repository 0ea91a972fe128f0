"""Building blocks of the suites: severities, formats, bounds, the funnel seeds, and helpers that build one
Great Expectations expectation each with its severity in `meta`.

GX itself is imported lazily (the first import takes seconds): importing `expectations` to list the suites, e.g. when
Dagster loads its definitions, stays fast.
"""
from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from great_expectations.expectations import Expectation

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = PROJECT_ROOT / "dbt_project" / "seeds" / "funnel"

ERROR = "ERROR"  # a failure blocks the assets downstream of the checked table
WARN = "WARN"  # a failure is recorded and reported, nothing is blocked
SEVERITIES = (ERROR, WARN)
_GX_SEVERITY = {ERROR: "critical", WARN: "warning"}

# Row-count change against the previous validation of the same suite (WARN outside these bounds).
ROW_COUNT_MAX_SHRINK = 0.5  # fewer than 50% of the previous run's rows
ROW_COUNT_MAX_GROWTH = 10  # more than 10x the previous run's rows

# "Not in the future": a date or time may be up to this much after the as-of moment (time zones, clock skew).
FUTURE_SLACK = timedelta(days=1)

# Phones as the loaders write them (ingestion.common.parsing.normalize_phone): E.164, Chinese mobiles
# +86 1[3-9]x xxxx xxxx, landlines +86 <area code without its trunk 0: 10, 2x or 3 digits> <7-8 digits>,
# other countries +<8-15 digits> not starting 86. No look-around in these regexes: the checks run them in DuckDB
# (RE2) as well as in Python (expectations.sql_checks).
PHONE_E164 = r"^\+(?:86(?:1[3-9]\d{9}|(?:10|2\d|[3-9]\d{2})\d{7,8})|(?:[1-79]\d|8[0-57-9])\d{6,13})$"
# Phones as people type them (HubSpot stores the text as typed, the HubSpot loader keeps it): an optional +86 /
# 0086 / 86- prefix, then a mobile (138 0013 8000, 138-0013-8000, 13800138000) or a landline ((021) 6234 5678,
# 021-62345678, 0512 8818 7547), or an international +<digits with spaces or dashes>.
_AREA = r"(?:10|2\d|[3-9]\d{2})"
PHONE_TYPED = (
    r"^(?:(?:\+86[ -]?|0086[ -]?|86-)?"
    r"(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}"
    rf"|(?:\(0?{_AREA}\)|0?{_AREA})[ -]?\d{{3,4}}[ -]?\d{{4}})"
    r"|\+(?:[1-79](?:[ -]?\d){7,14}|8(?:[0-57-9]|[ -]\d)(?:[ -]?\d){6,13}))$"
)
EMAIL = r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"

# Deals the marts leave out for a mapping gap (an unmapped stage, ...) or whose channel value is unknown: past these
# shares of the deals loaded, the run fails and names the values to map (env overrides, e.g. 0.3).
MAX_EXCLUDED_DEAL_SHARE = float(os.environ.get("FUNNELHOUSE_MAX_EXCLUDED_DEAL_SHARE", "0.5"))
MAX_UNKNOWN_CHANNEL_SHARE = float(os.environ.get("FUNNELHOUSE_MAX_UNKNOWN_CHANNEL_SHARE", "0.5"))
# Rows of a file source quarantined at its inputs' latest read: past this share of the rows read, the run fails.
MAX_QUARANTINED_ROW_SHARE = float(os.environ.get("FUNNELHOUSE_MAX_QUARANTINED_ROW_SHARE", "0.5"))

# Share and rate columns are rounded to 4 decimals in the marts: a month's shares add up to 1 within this.
SHARE_SUM_TOLERANCE = 0.005


# ------------------------------------------------------------------------------------------------ funnel seeds
def _read_seed(name: str, seeds_dir: Path | None = None) -> list[dict[str, str]]:
    path = (seeds_dir or SEEDS_DIR) / name
    with path.open(newline="", encoding="utf-8") as handle:
        return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(handle)]


def funnel_stage_codes(seeds_dir: Path | None = None, *, stage_type: str | None = None) -> list[str]:
    """stage_code of dbt_project/seeds/funnel/funnel_stages.csv (only those of `stage_type` when given)."""
    rows = _read_seed("funnel_stages.csv", seeds_dir)
    return [row["stage_code"] for row in rows if stage_type is None or row["stage_type"] == stage_type]


def mapped_source_stages(source: str, seeds_dir: Path | None = None) -> list[str]:
    """source_stage values of dbt_project/seeds/funnel/funnel_stage_map.csv for one source (e.g. hubspot)."""
    rows = _read_seed("funnel_stage_map.csv", seeds_dir)
    return sorted({row["source_stage"] for row in rows if row["source"] == source})


def fx_currencies(seeds_dir: Path | None = None) -> list[str]:
    """currency_code values of dbt_project/seeds/funnel/fx_rates.csv: the currencies the marts can convert."""
    return sorted({row["currency_code"] for row in _read_seed("fx_rates.csv", seeds_dir)})


# ------------------------------------------------------------------------------------------------ build context
def as_of_datetime(as_of: date | datetime | None) -> datetime:
    """The reference moment (UTC) of a validation: now when None; a date means the end of that day (UTC);
    a naive datetime is taken as UTC."""
    if as_of is None:
        return datetime.now(timezone.utc)
    if isinstance(as_of, datetime):
        return as_of.replace(tzinfo=timezone.utc) if as_of.tzinfo is None else as_of.astimezone(timezone.utc)
    if isinstance(as_of, date):
        return datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=timezone.utc)
    raise TypeError(f"as_of must be a date, a datetime or None, got {as_of!r}")


@dataclass(frozen=True)
class BuildContext:
    """What a suite's expectations depend on besides the data: the as-of moment (UTC), the row count of the
    previous validation of the suite (None on the first run), and the funnel seeds."""

    as_of: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    previous_rows: int | None = None
    seeds_dir: Path = SEEDS_DIR

    def stage_codes(self, stage_type: str | None = None) -> list[str]:
        return funnel_stage_codes(self.seeds_dir, stage_type=stage_type)

    def source_stages(self, source: str) -> list[str]:
        return mapped_source_stages(source, self.seeds_dir)

    def currencies(self) -> list[str]:
        return fx_currencies(self.seeds_dir)

    @property
    def future_limit(self) -> datetime:
        """Values at or after this moment are 'in the future'."""
        return self.as_of + FUTURE_SLACK


# ------------------------------------------------------------------------------------------------ expectations
def gx_expectations():
    """The great_expectations.expectations module, imported with usage statistics off."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations.expectations as gxe

    return gxe


def expect(kind: str, severity: str, description: str, **kwargs: Any) -> Expectation:
    """One GX expectation (class name `kind`, e.g. "ExpectColumnValuesToNotBeNull") with its severity in meta
    ({"severity": "ERROR"|"WARN"}) and GX's own severity field (critical|warning) to match."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    cls = getattr(gx_expectations(), kind)
    return cls(
        **kwargs, meta={"severity": severity}, severity=_GX_SEVERITY[severity], description=description
    )


def required(columns: Iterable[str], severity: str = ERROR) -> list[Expectation]:
    return [
        expect("ExpectColumnValuesToNotBeNull", severity, f"{column} is required", column=column)
        for column in columns
    ]


def unique(*columns: str, severity: str = ERROR) -> Expectation:
    if len(columns) == 1:
        column = columns[0]
        return expect("ExpectColumnValuesToBeUnique", severity, f"{column} identifies a row", column=column)
    description = f"({', '.join(columns)}) identifies a row"
    return expect("ExpectCompoundColumnsToBeUnique", severity, description, column_list=list(columns))


def in_set(column: str, values: Iterable[Any], description: str, severity: str = ERROR) -> Expectation:
    """Values of `column` (when not null) are in `values`."""
    return expect("ExpectColumnValuesToBeInSet", severity, description, column=column, value_set=list(values))


def is_null(column: str, description: str, severity: str = ERROR, max_share: float = 0.0) -> Expectation:
    """`column` is null on every row, or on all but `max_share` of them; the values found are listed."""
    kwargs: dict[str, Any] = {"column": column}
    if max_share:
        kwargs["mostly"] = 1 - max_share
    return expect("ExpectColumnValuesToBeNull", severity, description, **kwargs)


def is_false(column: str, description: str, severity: str = ERROR) -> Expectation:
    """A derived boolean flag (`widens`, `in_future`, ...) is false on every row."""
    return expect("ExpectColumnValuesToBeInSet", severity, description, column=column, value_set=[False])


def between(
    column: str, min_value: Any = None, max_value: Any = None, *, description: str, severity: str = ERROR
) -> Expectation:
    return expect(
        "ExpectColumnValuesToBeBetween",
        severity,
        description,
        column=column,
        min_value=min_value,
        max_value=max_value,
    )


def non_negative(column: str, severity: str = ERROR) -> Expectation:
    return between(column, 0, None, description=f"{column} is not negative", severity=severity)


def rate(column: str, severity: str = ERROR) -> Expectation:
    return between(column, 0, 1, description=f"{column} is a share within [0, 1]", severity=severity)


def matches(column: str, regex: str, description: str, severity: str = WARN) -> Expectation:
    return expect("ExpectColumnValuesToMatchRegex", severity, description, column=column, regex=regex)


def not_in_future(column: str, context: BuildContext, severity: str = WARN) -> Expectation:
    """`column` (a date or timestamp; the runner hands GX every date/time column in UTC) is before as_of + 1 day."""
    return expect(
        "ExpectColumnValuesToBeBetween",
        severity,
        f"{column} is not in the future (before as-of + {FUTURE_SLACK.days} day)",
        column=column,
        max_value=context.future_limit,
        strict_max=True,
    )


def row_count_bounds(previous_rows: int | None) -> tuple[int, int | None]:
    """(min, max) row count allowed after a run that had `previous_rows` rows: shrink by at most
    ROW_COUNT_MAX_SHRINK, grow at most ROW_COUNT_MAX_GROWTH times; anything on a first run (or after an empty one)."""
    if not previous_rows:
        return 0, None
    return math.ceil(previous_rows * (1 - ROW_COUNT_MAX_SHRINK)), previous_rows * ROW_COUNT_MAX_GROWTH


def row_count_within_bounds(context: BuildContext, severity: str = WARN) -> Expectation:
    low, high = row_count_bounds(context.previous_rows)
    previous = "first run" if context.previous_rows is None else f"previous run: {context.previous_rows} rows"
    return expect(
        "ExpectTableRowCountToBeBetween",
        severity,
        f"row count changed within bounds ({previous}; shrink at most {ROW_COUNT_MAX_SHRINK:.0%}, "
        f"grow at most {ROW_COUNT_MAX_GROWTH}x)",
        min_value=low,
        max_value=high,
    )
