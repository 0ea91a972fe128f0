"""Route a bad input row to its source's `quarantine` table with file, row, field, raw value and a readable reason;
an input read again replaces its earlier quarantine rows (heal_quarantine)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import dlt

QUARANTINE_TABLE = "quarantine"

QUARANTINE_COLUMNS: dict[str, dict[str, Any]] = {
    "input_name": {"data_type": "text", "nullable": False},
    "row_number": {"data_type": "bigint", "nullable": False},
    "entity": {"data_type": "text", "nullable": True},
    "field": {"data_type": "text", "nullable": False},
    "raw_value": {"data_type": "text", "nullable": True},
    "reason": {"data_type": "text", "nullable": False},
    "raw_record": {"data_type": "text", "nullable": True},
    "quarantined_at": {"data_type": "timestamp", "nullable": False},
}


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def quarantine_row(
    *,
    input_name: str,
    row_number: int,
    field: str,
    raw_value: Any,
    reason: str,
    raw_record: Any = None,
    entity: str | None = None,
) -> Any:
    """Return a dlt item that lands in the `quarantine` table (merged on input_name + row_number, so re-runs never duplicate)."""
    row = {
        "input_name": input_name,
        "row_number": row_number,
        "entity": entity,
        "field": field,
        "raw_value": _as_text(raw_value),
        "reason": reason,
        "raw_record": _as_text(raw_record),
        "quarantined_at": datetime.now(timezone.utc),
    }
    hints = dlt.mark.make_hints(
        table_name=QUARANTINE_TABLE,
        primary_key=["input_name", "row_number"],
        write_disposition="merge",
        columns=QUARANTINE_COLUMNS,
    )
    return dlt.mark.with_hints(row, hints, create_table_variant=True)


@dlt.resource(
    name=QUARANTINE_TABLE,
    primary_key=["input_name", "row_number"],
    write_disposition="merge",
    columns=QUARANTINE_COLUMNS,
)
def empty_quarantine() -> Any:
    """Creates the `quarantine` table even when a source has had no bad rows yet (so BI and checks can rely on it)."""
    yield dlt.mark.materialize_table_schema()


def heal_quarantine(pipeline: dlt.Pipeline, input_names: list[str], load_id: str | None) -> int:
    """Delete the quarantine rows that earlier runs wrote for inputs read again in this run (load `load_id`), so the
    table holds only what is still bad: a fixed row leaves it, a row still bad was written anew by this load.
    Returns the rows deleted."""
    if not input_names:
        return 0
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            return 0
        table = client.make_qualified_table_name(QUARANTINE_TABLE)
        marks = ", ".join(["%s"] * len(input_names))
        keep = "" if load_id is None else " and (_dlt_load_id is null or _dlt_load_id <> %s)"
        condition = f"input_name in ({marks}){keep}"
        arguments = [*input_names, *([] if load_id is None else [load_id])]
        (count,) = client.execute_sql(f"select count(*) from {table} where {condition}", *arguments)[0]
        if count:
            client.execute_sql(f"delete from {table} where {condition}", *arguments)
        return int(count)
