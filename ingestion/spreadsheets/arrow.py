"""A batch of a table's rows as one Arrow table with the declared column types: dlt loads it without its per-row
normalizer (the rows were checked and typed when read)."""
from __future__ import annotations

from typing import Any

import pyarrow as pa

ARROW_TYPES = {
    "text": pa.string(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"), "bigint": pa.int64(),
    "bool": pa.bool_(),
}


def arrow_schema(columns: dict[str, dict[str, Any]]) -> pa.Schema | None:
    """The Arrow schema of a table's declared columns (dlt hints); None when a column has a type without one here."""
    fields = []
    for name, hint in columns.items():
        kind = hint["data_type"]
        if kind == "decimal":
            arrow_type = pa.decimal128(hint["precision"], hint["scale"])
        elif kind in ARROW_TYPES:
            arrow_type = ARROW_TYPES[kind]
        else:
            return None
        fields.append(pa.field(name, arrow_type, nullable=hint.get("nullable", True)))
    return pa.schema(fields)


def as_arrow(rows: list[dict[str, Any]], schema: pa.Schema | None) -> Any:
    """The rows as an Arrow table of `schema`, or the rows themselves when a value does not fit its column's type
    (dlt then normalizes them one by one, as it did before: same rows, same columns)."""
    if schema is None or not rows or not set(rows[0]) <= set(schema.names):  # a column it does not declare: rows
        return rows
    try:
        return pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return rows
