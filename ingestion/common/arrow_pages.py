"""A page of shaped rows as one typed Arrow table of its declared columns, so dlt loads it without its row-by-row
normalizer; the rows themselves when the table's columns cannot hold them (dlt then treats them as before).

dlt writes Arrow items straight to parquet with the declared types; a table dlt has to unnest (a row holding a list,
e.g. HubSpot owners' teams -> owners__teams) cannot be given as Arrow: dlt's extractor does not write nested tables,
only its normalizer does. Those pages stay rows, unless the lists become a flat table of their own (HubSpot's
associations: hubspot/rows.association_page).
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa

DEFAULT_DECIMAL = (38, 9)  # dlt's default decimal column (DuckDB and Postgres: decimal(38, 9))
ARROW_TYPES = {
    "text": pa.string(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"), "bigint": pa.int64(),
    "bool": pa.bool_(), "double": pa.float64(),
}


def arrow_schema(columns: dict[str, dict[str, Any]]) -> pa.Schema | None:
    """The Arrow schema of a table's declared columns (dlt hints), in their order; None when a column has a type
    without an Arrow type here (the table's pages then go as rows)."""
    fields = []
    for name, hint in columns.items():
        kind = hint["data_type"]
        if kind == "decimal":
            arrow_type = pa.decimal128(hint.get("precision", DEFAULT_DECIMAL[0]), hint.get("scale", DEFAULT_DECIMAL[1]))
        elif kind in ARROW_TYPES:
            arrow_type = ARROW_TYPES[kind]
        else:
            return None
        fields.append(pa.field(name, arrow_type, nullable=hint.get("nullable", True)))
    return pa.schema(fields)


def page_table(rows: list[dict[str, Any]], schema: pa.Schema | None, lists: tuple[str, ...] = ()) -> Any:
    """`rows` as an Arrow table of `schema`; the rows themselves when one has a key the schema does not declare (dlt
    then adds the column, as it always did), a value its column cannot hold or a non-empty list under one of `lists`
    (a nested table: dlt unnests it). Keys in `lists` that are empty in every row are left out (dlt loads nothing
    for an empty list)."""
    if schema is None or not rows:
        return rows
    if lists:
        if any(row.get(key) for row in rows for key in lists):
            return rows
        rows = [{k: v for k, v in row.items() if k not in lists} for row in rows]
    names = set(schema.names)
    if any(not row.keys() <= names for row in rows):
        return rows
    try:
        table = pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return rows
    if any(not field.nullable and table.column(i).null_count for i, field in enumerate(schema)):
        return rows  # dlt's normalizer says what is missing, as before
    return table
