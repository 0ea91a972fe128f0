"""The marts of two warehouses compared row by row: every table of a schema read through a Connection-like
object (execute(sql, params) → cursor with description and fetchall; tables(schema) when it has it), its
values normalised (numbers as decimals rounded to 6 places, timestamps UTC without zone, dlt load ids masked),
columns in name order and rows sorted; and a one-paragraph difference per table that is not the same."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

MARTS = "marts"
Table = tuple[list[str], list[tuple]]  # column names (in name order), normalised sorted rows


def normalise(value: object) -> object:
    """Numbers as decimals rounded to 6 places (DuckDB's doubles, Postgres' numerics and Spark's decimals
    alike), timestamps as UTC without zone, the rest as it is."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, Decimal)):
        rounded = Decimal(str(value)).quantize(Decimal("0.000001"))
        return rounded if rounded != 0 else Decimal("0.000000")  # no -0
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def normalised_rows(cursor, columns: list[str]) -> list[tuple]:
    """The cursor's rows normalised and sorted, dlt load ids (columns named *load_id) masked: they are the
    load's own time, equal only when both are set."""
    masked = [name.endswith("load_id") for name in columns]
    rows = [
        tuple("<load id>" if mask and value is not None else normalise(value)
              for mask, value in zip(masked, row))
        for row in cursor.fetchall()
    ]
    return sorted(rows, key=lambda row: tuple((0, "") if v is None else (1, type(v).__name__, str(v))
                                              for v in row))


def schema_tables(connection, schema: str) -> list[str]:
    """The tables and views of `schema`, in name order: the connection's tables(schema) when it has one, else
    the information schema (DuckDB, Postgres)."""
    if hasattr(connection, "tables"):
        return sorted(connection.tables(schema))
    cursor = connection.execute(
        "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
    )
    return [name for (name,) in cursor.fetchall()]


def schema_rows(connection, schema: str = MARTS) -> dict[str, Table]:
    """Every table of `schema`: its column names in name order (engines order a partitioned table's columns
    differently) and its normalised, sorted rows."""
    tables = {}
    for table in schema_tables(connection, schema):
        cursor = connection.execute(f"select * from {schema}.{table}")
        stored = [description[0] for description in cursor.description]
        columns = sorted(stored)
        cursor = connection.execute(f"select {', '.join(columns)} from {schema}.{table}")
        tables[table] = (columns, normalised_rows(cursor, columns))
    return tables


def difference(table: str, left: Table, right: Table, names: tuple[str, str] = ("duckdb", "postgres")) -> str:
    """One paragraph: how `table` differs between the two warehouses (its columns, or its row count and up to
    three rows found only on each side)."""
    if left[0] != right[0]:
        return f"{table}: columns differ: {names[0]} {left[0]} / {names[1]} {right[0]}"
    only_left, only_right = Counter(left[1]) - Counter(right[1]), Counter(right[1]) - Counter(left[1])
    lines = [f"{table}: {len(left[1])} rows on {names[0]}, {len(right[1])} on {names[1]}"]
    width = max(len(name) for name in names) + len(" only:")
    lines += [f"  {(names[0] + ' only:').ljust(width)} {dict(zip(left[0], row))}"
              for row in list(only_left.elements())[:3]]
    lines += [f"  {(names[1] + ' only:').ljust(width)} {dict(zip(right[0], row))}"
              for row in list(only_right.elements())[:3]]
    return "\n".join(lines)


def differences(left: dict[str, Table], right: dict[str, Table],
                names: tuple[str, str] = ("duckdb", "postgres")) -> list[str]:
    """Every table missing on one side, and the difference of each table not the same on both: [] if equal."""
    found = [f"{table}: only on {names[0]}" for table in sorted(set(left) - set(right))]
    found += [f"{table}: only on {names[1]}" for table in sorted(set(right) - set(left))]
    found += [difference(table, left[table], right[table], names)
              for table in sorted(set(left) & set(right)) if left[table] != right[table]]
    return found
