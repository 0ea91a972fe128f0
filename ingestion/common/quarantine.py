"""Route a bad input row to its source's `quarantine` table with file, row, field, raw value and a readable reason."""
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
