"""The lower bound: bench/sql/lower_bound.sql run by DuckDB on the raw files, statement by statement."""
from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SQL_FILE = Path(__file__).with_name("sql") / "lower_bound.sql"
FUNNEL_MARKER = "-- " + "-" * 96 + " the funnel"
MART_TABLES = (
    "fct_deals", "fct_deal_stage_events", "mart_funnel_conversion", "mart_stage_velocity", "mart_stale_deals",
    "mart_loss_reasons",
)


def sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths) + "]"


def render(raw_inputs: dict[str, Any], seeds_dir: Path, as_of: str) -> str:
    """The script with its placeholders filled in."""
    cutoff = date.fromisoformat(as_of) + timedelta(days=1)
    values = dict(
        deal_files=sql_list(raw_inputs["deal_files"]),
        tracker_files=sql_list(raw_inputs["tracker_files"]),
        export_files=sql_list(raw_inputs["export_files"]),
        history_files=sql_list(raw_inputs["history_files"]),
        seeds=str(seeds_dir).replace("'", "''"),
        as_of=as_of,
        cutoff=f"{cutoff.isoformat()} 00:00:00",
    )
    # ${name} placeholders only: the script's regular expressions use $ themselves
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], SQL_FILE.read_text(encoding="utf-8"))


def helpers() -> str:
    """The script's opening: the time zone and the parsing macros (clean, stage_key, parse_day, parse_ts,
    parse_amount, parse_days), which the floor's raw layer uses too."""
    script = SQL_FILE.read_text(encoding="utf-8")
    return script[:script.index(FUNNEL_MARKER)]


def statements(script: str) -> list[str]:
    """The script's statements (split after each ';' that ends a line), comments dropped."""
    without_comments = re.sub(r"(?m)^\s*--.*$", "", script)
    return [part.strip() for part in re.split(r";\s*\n", without_comments) if part.strip()]


def _label(statement: str) -> str:
    match = re.search(r"(?:table|macro)\s+(\w+)", statement[:200], re.IGNORECASE)
    return match.group(1) if match else statement.split()[0].lower()


def run(raw_inputs: dict[str, Any], seeds_dir: Path, as_of: str, database: Path) -> dict[str, Any]:
    """Run the script into `database` (a fresh file): seconds in all and per statement, rows of each mart."""
    import duckdb

    if database.exists():
        database.unlink()
    script = render(raw_inputs, seeds_dir, as_of)
    started = time.perf_counter()
    timings: list[tuple[str, float]] = []
    with duckdb.connect(str(database)) as connection:
        for statement in statements(script):
            step = time.perf_counter()
            connection.execute(statement)
            timings.append((_label(statement), time.perf_counter() - step))
        seconds = time.perf_counter() - started
        rows = {table: connection.execute(f"select count(*) from {table}").fetchone()[0] for table in MART_TABLES}
    slowest = sorted(timings, key=lambda pair: -pair[1])[:6]
    return {
        "seconds": round(seconds, 3),
        "statements": len(timings),
        "slowest_statements": [{"statement": name, "seconds": round(s, 3)} for name, s in slowest],
        "mart_rows": rows,
        "database": str(database),
    }
