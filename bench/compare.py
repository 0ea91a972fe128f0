"""Check that a variant computed the same numbers as the pipeline: the core marts compared count by count and row by
row, every difference reported (never hidden).

Compared: deals per source, the overall funnel (reached, entered, advanced, won later, lost here per stage), stage
velocity (deals measured exactly; average, median, p90, min, max within rounding), stale deals (count and ids),
loss reasons (deals and amount per reason, rows per month × reason × stage lost from), and fct_deals and
fct_deal_stage_events row by row on their keys. Not compared: the columns that need identity resolution (owner,
company, person, channel) and the funnel's segments other than 'overall'."""
from __future__ import annotations

from pathlib import Path
from typing import Any

CORE_MARTS = (
    "fct_deals", "fct_deal_stage_events", "mart_funnel_conversion", "mart_stage_velocity", "mart_stale_deals",
    "mart_loss_reasons",
)
EXAMPLES = 5

DEAL_COLUMNS = {  # column -> tolerance (None: exact)
    "source": None, "current_stage_code": None, "current_stage_entered_at": None, "is_open": None, "is_won": None,
    "is_lost": None, "created_at": None, "is_created_at_inferred": None, "closed_at": None, "cycle_days": 0.011,
    "amount_cny": 0.011, "loss_reason_code": None, "lost_from_stage_code": None, "days_in_current_stage": None,
    "stage_changes": None, "backward_moves": None, "stages_skipped": None, "has_inferred_stages": None,
}
EVENT_COLUMNS = {
    "deal_id": None, "from_stage_code": None, "to_stage_code": None, "changed_at": None, "direction": None,
    "stages_skipped": None, "is_inferred": None, "is_entry_time_known": None, "exited_at": None,
    "days_in_stage": 0.00011, "is_current_stage": None,
}
FUNNEL_COLUMNS = ("deals_in_segment", "reached", "entered", "advanced", "won_later", "lost_here")
VELOCITY_STATS = ("avg_days", "median_days", "p90_days", "min_days", "max_days")


def snapshot_pipeline_marts(warehouse: Path, out_dir: Path) -> dict[str, int]:
    """Copy the pipeline's core marts (the overall funnel only) to parquet files, so later runs cannot change them."""
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    rows = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for table in CORE_MARTS:
            where = " where segment_type = 'overall'" if table == "mart_funnel_conversion" else ""
            target = str(out_dir / f"{table}.parquet").replace("'", "''")
            connection.execute(f"copy (select * from marts.{table}{where}) to '{target}' (format parquet)")
            rows[table] = connection.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]
    return rows


def relations_from_parquet(folder: Path) -> dict[str, str]:
    quoted = {table: str(folder / f"{table}.parquet").replace("'", "''") for table in CORE_MARTS}
    return {table: f"read_parquet('{path}')" for table, path in quoted.items()}


def relations_from_database(alias: str) -> dict[str, str]:
    return {table: f'"{alias}".main.{table}' for table in CORE_MARTS}


def relations_from_warehouse(alias: str) -> dict[str, str]:
    """The core marts of a warehouse dbt's SQL built (schema marts), the funnel's overall segment only, as the
    pipeline's snapshot holds it."""
    relations = {table: f'"{alias}".marts.{table}' for table in CORE_MARTS}
    relations["mart_funnel_conversion"] = (
        f"(select * from {relations['mart_funnel_conversion']} where segment_type = 'overall')")
    return relations


def _differs(column: str, tolerance: float | None) -> str:
    a, b = f"e.{column}", f"a.{column}"
    if tolerance is None:
        return f"({a} is distinct from {b})"
    return f"(({a} is null) <> ({b} is null) or abs(cast({a} as double) - cast({b} as double)) > {tolerance})"


def _rows(connection: Any, sql: str) -> list[tuple]:
    return connection.execute(sql).fetchall()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return round(value, 6)
    try:
        return float(value)  # Decimal
    except (TypeError, ValueError):
        return str(value)


def _check(name: str, differences: list[str], detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"check": name, "equal": not differences, "differences": differences, **(detail or {})}


def _keyed_counts(connection: Any, expected: str, actual: str, name: str, key: str, columns: tuple[str, ...],
                  tolerance: float | None = None) -> dict[str, Any]:
    differences = []
    select = ", ".join(f"e.{c}, a.{c}" for c in columns)
    condition = " or ".join(_differs(c, tolerance) for c in columns)
    for row in _rows(connection, f"""
        select coalesce(e.{key}, a.{key}) as k, e.{key} is null, a.{key} is null, {select}
        from {expected} as e full outer join {actual} as a on e.{key} = a.{key}
        where e.{key} is null or a.{key} is null or {condition}
        order by 1"""):
        k, missing_expected, missing_actual, values = row[0], row[1], row[2], row[3:]
        if missing_expected:
            differences.append(f"{key} {k}: only in the variant")
        elif missing_actual:
            differences.append(f"{key} {k}: missing from the variant")
        else:
            pairs = [
                f"{c} pipeline {_plain(values[2 * i])} vs {_plain(values[2 * i + 1])}"
                for i, c in enumerate(columns)
                if _plain(values[2 * i]) != _plain(values[2 * i + 1])
            ]
            differences.append(f"{key} {k}: " + "; ".join(pairs))
    return _check(name, differences)


def _row_by_row(connection: Any, expected: str, actual: str, name: str, key: str,
                columns: dict[str, float | None]) -> dict[str, Any]:
    counts = _rows(connection, f"""
        select
            count(*) filter (where a.{key} is null) as missing,
            count(*) filter (where e.{key} is null) as extra,
            {", ".join(f"count(*) filter (where e.{key} is not null and a.{key} is not null and {_differs(c, t)})"
                       for c, t in columns.items())}
        from {expected} as e full outer join {actual} as a on e.{key} = a.{key}""")[0]
    total = _rows(connection, f"select count(*) from {expected}")[0][0]
    differences = []
    if counts[0]:
        examples = [r[0] for r in _rows(connection, f"""
            select e.{key} from {expected} as e anti join {actual} as a on e.{key} = a.{key}
            order by 1 limit {EXAMPLES}""")]
        differences.append(f"{counts[0]} of {total} rows missing from the variant, e.g. {', '.join(examples)}")
    if counts[1]:
        examples = [r[0] for r in _rows(connection, f"""
            select a.{key} from {actual} as a anti join {expected} as e on e.{key} = a.{key}
            order by 1 limit {EXAMPLES}""")]
        differences.append(f"{counts[1]} rows only in the variant, e.g. {', '.join(examples)}")
    for (column, tolerance), count in zip(columns.items(), counts[2:]):
        if count:
            examples = _rows(connection, f"""
                select e.{key}, e.{column}, a.{column}
                from {expected} as e inner join {actual} as a on e.{key} = a.{key}
                where {_differs(column, tolerance)} order by 1 limit {EXAMPLES}""")
            shown = "; ".join(f"{k}: {_plain(x)} vs {_plain(y)}" for k, x, y in examples)
            differences.append(f"{column} differs on {count} rows (pipeline vs variant), e.g. {shown}")
    return _check(name, differences, {"rows_pipeline": total})


def compare(expected: dict[str, str], actual: dict[str, str], attach: dict[str, Path] | None = None) -> dict[str, Any]:
    """Compare the marts of a variant (`actual`: table -> SQL relation) with the pipeline's (`expected`).

    `attach`: DuckDB files to attach read-only first (alias -> path). Returns {"equal": bool, "checks": [...]}."""
    import duckdb

    connection = duckdb.connect()
    try:
        connection.execute("set TimeZone = 'UTC'")
        for alias, path in (attach or {}).items():
            connection.execute(f"attach '{str(path)}' as \"{alias}\" (read_only)")
        e, a = expected, actual
        checks = [
            _keyed_counts(connection, f"(select source, count(*) as deals from {e['fct_deals']} group by 1)",
                          f"(select source, count(*) as deals from {a['fct_deals']} group by 1)",
                          "deals per source", "source", ("deals",)),
            _keyed_counts(connection, e["mart_funnel_conversion"], a["mart_funnel_conversion"],
                          "funnel (overall): reached, entered, advanced, won, lost per stage", "stage_code",
                          FUNNEL_COLUMNS),
            _keyed_counts(connection, e["mart_stage_velocity"], a["mart_stage_velocity"],
                          "stage velocity: deals measured", "stage_code", ("deals_measured",)),
            _keyed_counts(connection, e["mart_stage_velocity"], a["mart_stage_velocity"],
                          "stage velocity: avg, median, p90, min, max days (±0.01)", "stage_code", VELOCITY_STATS,
                          tolerance=0.011),
            _keyed_counts(connection, f"(select 'stale' as k, count(*) as deals from {e['mart_stale_deals']})",
                          f"(select 'stale' as k, count(*) as deals from {a['mart_stale_deals']})",
                          "stale deals: count", "k", ("deals",)),
            _row_by_row(connection, e["mart_stale_deals"], a["mart_stale_deals"], "stale deals: row by row",
                        "deal_id", {"days_in_stage": None, "days_over_threshold": None, "amount_reporting": 0.011}),
            _keyed_counts(connection,
                          f"(select loss_reason_code, sum(lost_deals) as lost_deals from {e['mart_loss_reasons']} "
                          "group by 1)",
                          f"(select loss_reason_code, sum(lost_deals) as lost_deals from {a['mart_loss_reasons']} "
                          "group by 1)",
                          "loss reasons: lost deals per reason", "loss_reason_code", ("lost_deals",)),
            _keyed_counts(connection,
                          f"(select loss_reason_code, sum(amount_lost_reporting) as amount "
                          f"from {e['mart_loss_reasons']} "
                          "group by 1)",
                          f"(select loss_reason_code, sum(amount_lost_reporting) as amount "
                          f"from {a['mart_loss_reasons']} "
                          "group by 1)",
                          "loss reasons: amount lost per reason (±0.01)", "loss_reason_code", ("amount",),
                          tolerance=0.011),
            _row_by_row(connection,
                        f"(select *, concat_ws('|', lost_month, loss_reason_code, lost_from_stage_code) as k "
                        f"from {e['mart_loss_reasons']})",
                        f"(select *, concat_ws('|', lost_month, loss_reason_code, lost_from_stage_code) as k "
                        f"from {a['mart_loss_reasons']})",
                        "loss reasons: month × reason × stage rows", "k",
                        {"lost_deals": None, "share_of_month": 0.00011, "amount_lost_reporting": 0.011,
                         "reason_rank": None, "is_top3_reason": None}),
            _row_by_row(connection, e["fct_deals"], a["fct_deals"], "fct_deals: row by row", "deal_id",
                        DEAL_COLUMNS),
            _row_by_row(connection, e["fct_deal_stage_events"], a["fct_deal_stage_events"],
                        "fct_deal_stage_events: row by row", "stage_event_id", EVENT_COLUMNS),
        ]
    finally:
        connection.close()
    return {"equal": all(check["equal"] for check in checks), "checks": checks}


RUN_COLUMNS = ("quarantined_at", "reconciled_at", "load_id", "raw_value", "raw_record")  # differ by run or by reader


def compare_raw(pipeline: Path, floor: Path) -> dict[str, Any]:
    """Every raw table of the pipeline's warehouse against the floor's, row by row on all columns but dlt's own
    (_dlt_*) and those that differ by run or by reader (RUN_COLUMNS): rows in each, rows only in one of them, columns
    whose name or type differs. {"tables": {"<schema>.<table>": {...}}, "different": [names]}."""
    import duckdb

    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{str(pipeline)}' as p (read_only)")
        connection.execute(f"attach '{str(floor)}' as f (read_only)")
        columns: dict[str, dict[str, dict[str, str]]] = {"p": {}, "f": {}}
        for side in columns:
            for table, column, kind in _rows(connection, f"""
                    select table_schema || '.' || table_name, column_name, data_type from information_schema.columns
                    where table_catalog = '{side}' and table_schema like 'raw\\_%' escape '\\'
                        and table_schema not like '%\\_staging' escape '\\' and table_name not like '\\_dlt%' escape '\\'
                    order by all"""):
                columns[side].setdefault(table, {})[column] = kind
        tables = {}
        for table, wanted in sorted(columns["p"].items()):
            mine = columns["f"].get(table)
            entry: dict[str, Any] = {"pipeline_rows": _rows(connection, f"select count(*) from p.{table}")[0][0]}
            if mine is None:
                tables[table] = {**entry, "floor_rows": None, "missing": True}
                continue
            entry["floor_rows"] = _rows(connection, f"select count(*) from f.{table}")[0][0]
            entry["columns_different"] = sorted(name for name in set(wanted) | set(mine)
                                                if not name.startswith("_dlt") and wanted.get(name) != mine.get(name))
            shared = ", ".join(f'"{name}"' for name in sorted(wanted) if name in mine
                               and not name.startswith("_dlt") and name not in RUN_COLUMNS)
            entry["only_pipeline"] = _rows(connection, f"select count(*) from (select {shared} from p.{table} "
                                                       f"except all select {shared} from f.{table})")[0][0]
            entry["only_floor"] = _rows(connection, f"select count(*) from (select {shared} from f.{table} "
                                                    f"except all select {shared} from p.{table})")[0][0]
            tables[table] = entry
    finally:
        connection.close()
    different = sorted(name for name, entry in tables.items() if entry.get("missing") or entry["columns_different"]
                       or entry["only_pipeline"] or entry["only_floor"])
    return {"tables": tables, "different": different}
