"""Incremental state every API source shares: the cursor a pipeline saved for a resource, and the mapping of a
vendor's timestamp onto a comparable cursor (epoch milliseconds) set on each record for dlt's incremental."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dlt

from ingestion.common.parsing import FieldError, parse_timestamp


def saved_cursor(resource_name: str, cursor_path: str) -> Any:
    """The incremental cursor the active pipeline saved for `resource_name`, or None (first run, no pipeline).

    Read inside the source function (dlt gives it a read-only copy of the pipeline state) to choose the route:
    list everything on a first run, ask for changes since the cursor after.
    """
    try:
        resource = dlt.current.source_state().get("resources", {}).get(resource_name, {})
    except Exception:  # no active pipeline or no state yet: list everything, which is always correct
        return None
    return resource.get("incremental", {}).get(cursor_path, {}).get("last_value")


def epoch_ms(value: Any, parse: Callable[[str, Any], Any] = parse_timestamp) -> int | None:
    """Epoch milliseconds of a vendor timestamp read by `parse` (field name, value) -> aware datetime or None;
    None when it is missing or unreadable (never raises: the record goes on, to be quarantined by its row
    function). Salesforce's 2026-03-05T14:02:11.000+0000, Pipedrive's 2026-03-05T14:02:11Z and its changelog's
    2026-03-05 14:02:11 (UTC) all read with the default parser."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        parsed = parse("timestamp", value)
    except (FieldError, TypeError, ValueError, OverflowError):
        return None
    return None if parsed is None else int(round(parsed.timestamp() * 1000))


def cursor_step(cursor_key: str, value_of: Callable[[dict[str, Any]], Any],
                to_cursor: Callable[[Any], Any] = epoch_ms) -> dict[str, Any]:
    """A rest_api processing step setting `record[cursor_key] = to_cursor(value_of(record))` on every record, so
    that dlt's incremental compares one kind of value whatever format the vendor writes its timestamps in."""

    def with_cursor(record: Any) -> Any:
        if isinstance(record, dict):
            record[cursor_key] = to_cursor(value_of(record))
        return record

    return {"map": with_cursor}


def incremental(cursor_path: str, **options: Any) -> dict[str, Any]:
    """A rest_api `incremental` config on `cursor_path`; a record without a readable cursor is let through, to be
    quarantined with its raw record rather than dropped silently."""
    return {"cursor_path": cursor_path, "on_cursor_value_missing": "include", **options}
