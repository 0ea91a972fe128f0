"""A batch of a table's rows as one Arrow table with the declared column types: dlt loads it without its per-row
normalizer (the rows were checked and typed when read)."""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from ingestion.common.arrow_pages import arrow_schema

__all__ = ["arrow_schema", "as_arrow"]  # arrow_schema: said once, in ingestion/common/arrow_pages.py


def as_arrow(rows: list[dict[str, Any]], schema: pa.Schema | None) -> Any:
    """The rows as an Arrow table of `schema`, or the rows themselves when a value does not fit its column's type
    (dlt then normalizes them one by one, as it did before: same rows, same columns)."""
    if schema is None or not rows or not set(rows[0]) <= set(schema.names):  # a column it does not declare: rows
        return rows
    try:
        return pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return rows
