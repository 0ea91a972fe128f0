"""The shaping loop every source shares: items in, rows or quarantine rows out, each item counted once
(rows read = loaded + quarantined); a page of rows becomes one typed Arrow table of its declared columns."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from ingestion.common.arrow_pages import page_table
from ingestion.common.parsing import FieldError, unexpected
from ingestion.common.quarantine import quarantine_row
from ingestion.common.reconcile import InputTally

RowNumber = Callable[[Any, InputTally], int]  # (item, tally after counting it) -> the quarantine row number


def shape_one(item: Any, to_row: Callable[[Any], dict[str, Any]], tally: InputTally,
              unexpected_field: str | None = None) -> dict[str, Any] | FieldError:
    """Count `item` read; its row, or the FieldError that quarantines it (counted quarantined). With
    `unexpected_field`, an exception no parser foresaw becomes a FieldError on that field (parsing.unexpected)
    instead of stopping the load. Loaded rows are counted by the caller, once they are really kept."""
    tally.rows_read += 1
    try:
        try:
            return to_row(item)
        except FieldError:
            raise
        except Exception as error:  # noqa: BLE001 - one bad item never stops more than itself, when asked
            if unexpected_field is None:
                raise
            raise unexpected(error, unexpected_field) from None
    except FieldError as error:
        tally.rows_quarantined += 1
        return error


def stable_number(record_id: Any) -> int | None:
    """A record id as a quarantine row number that stays the same across runs: a number as itself, another id
    (Salesforce's 18-character ids) as a positive 63-bit digest; None without an id."""
    text = str(record_id).strip() if record_id is not None else ""
    if not text:
        return None
    if text.isdigit() and len(text) < 19:
        return int(text)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def record_id_number(key: str = "id") -> RowNumber:
    """Row numbers from the vendor's record id under `key`; an item without one gets minus its position in the
    run (unique within the run, never equal to an id)."""

    def number(item: Any, tally: InputTally) -> int:
        found = stable_number(item.get(key)) if isinstance(item, dict) else None
        return found if found is not None else -tally.rows_read

    return number


def quarantined(item: Any, error: FieldError, tally: InputTally, entity: str, row_number: RowNumber,
                raw_record: Callable[[Any], Any] | None = None) -> Any:
    """The quarantine row of `item` (already counted by shape_one), with the record as the vendor sent it."""
    return quarantine_row(input_name=tally.input_name, row_number=row_number(item, tally), field=error.field,
                          raw_value=error.raw_value, reason=error.reason,
                          raw_record=raw_record(item) if raw_record else item, entity=entity)


def shape_rows(items: list[Any], to_row: Callable[[Any], dict[str, Any]], tally: InputTally, entity: str,
               row_number: RowNumber | None = None, raw_record: Callable[[Any], Any] | None = None,
               ) -> tuple[list[dict[str, Any]], list[Any], list[Any]]:
    """(rows, the items they came from, quarantine rows) of a page; rows are not counted loaded yet."""
    number = row_number or record_id_number()
    rows: list[dict[str, Any]] = []
    kept: list[Any] = []
    bad: list[Any] = []
    for item in items:
        shaped = shape_one(item, to_row, tally)
        if isinstance(shaped, FieldError):
            bad.append(quarantined(item, shaped, tally, entity, number, raw_record))
            continue
        rows.append(shaped)
        kept.append(item)
    return rows, kept, bad


def shape_page(items: list[Any], to_row: Callable[[Any], dict[str, Any]], tally: InputTally,
               schema: pa.Schema | None, entity: str, row_number: RowNumber | None = None,
               raw_record: Callable[[Any], Any] | None = None, lists: tuple[str, ...] = ()) -> tuple[Any, list[Any]]:
    """A page of vendor records as (one Arrow table of `schema`, or the rows when it cannot hold them, see
    arrow_pages.page_table; quarantine rows), every item counted read, then loaded or quarantined."""
    rows, _, bad = shape_rows(items, to_row, tally, entity, row_number, raw_record)
    tally.rows_loaded += len(rows)
    return page_table(rows, schema, lists), bad
