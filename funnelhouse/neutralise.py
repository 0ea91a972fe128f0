"""Text a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return) is neutralised
with a leading apostrophe in everything people open in Excel, Power Query or LibreOffice: the Parquet marts and the
HTML report's tables (CSV/formula injection, OWASP)."""
from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TEXT_TYPES = ("VARCHAR", "TEXT", "STRING")


def neutralise(value: Any) -> Any:
    """"'=1+1" for "=1+1": shown as text, never evaluated; any other value (numbers, None, safe text) as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def neutralised_select(connection: Any, schema: str, table: str) -> str:
    """`select` of every column of schema.table (DuckDB), each text column passed through neutralise in SQL."""
    columns = connection.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = current_database() "
        "and table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    starts = ", ".join("chr(9)" if s == "\t" else "chr(13)" if s == "\r" else f"'{s}'" for s in FORMULA_STARTS)
    selected = [
        f"case when left({_quoted(name)}, 1) in ({starts}) then '''' || {_quoted(name)} else {_quoted(name)} end "
        f"as {_quoted(name)}" if str(kind).upper() in _TEXT_TYPES else _quoted(name)
        for name, kind in columns
    ]
    return f"select {', '.join(selected)} from {_quoted(schema)}.{_quoted(table)}"
