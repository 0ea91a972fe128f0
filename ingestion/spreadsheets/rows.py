"""Turn the cells of one sheet row into a table row: parse each field by type, null and note bad optional values."""
from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from ingestion.common.parsing import (
    FieldError,
    normalize_email,
    normalize_phone,
    parse_amount,
    parse_date,
    parse_duration_days,
    parse_timestamp,
)
from ingestion.spreadsheets.header import Header
from ingestion.spreadsheets.mapping import PROVENANCE_COLUMNS, STRICT_TYPES, FieldSpec, InputSpec
from ingestion.spreadsheets.readers import UncachedFormula
from ingestion.spreadsheets.values import StageVocabulary, as_text, parse_integer, parse_month

Parser = Callable[[str, Any], Any]


def _parser(field: FieldSpec, spec: InputSpec, stages: StageVocabulary | None) -> Parser:
    kind = field.type
    if kind == "text":
        return lambda header, value: as_text(value)
    if kind == "date":
        return lambda header, value: parse_date(header, value, day_first=spec.day_first)
    if kind == "amount":
        unit = field.unit or spec.amount_unit
        return lambda header, value: parse_amount(header, value, unit=unit, decimal_separator=spec.decimal_separator)
    if kind == "stage":
        return stages.code
    return {
        "month": parse_month,
        "timestamp": parse_timestamp,
        "phone": normalize_phone,
        "email": normalize_email,
        "duration_days": parse_duration_days,
        "integer": parse_integer,
    }[kind]


class RowConverter:
    """Converts the data rows of one sheet, whose header has been found, into rows of the entry's table."""

    def __init__(
        self, spec: InputSpec, header: Header, fixed: dict[str, Any], stages: StageVocabulary | None
    ) -> None:
        self.spec = spec
        self.header = header
        self.fixed = fixed  # constants, file-name columns and source_file / source_sheet
        present = {field.name for field, _ in header.positions}
        self.absent_columns = [column for field in spec.fields if field.name not in present for column in field.columns]
        self.fields = [
            (field, index, header.text_of(index), _parser(field, spec, stages)) for field, index in header.positions
        ]

    def convert(self, row_number: int, cells: tuple[Any, ...]) -> dict[str, Any]:
        """The table row; FieldError (field = header as written) when the row must be quarantined."""
        row: dict[str, Any] = dict.fromkeys(self.absent_columns)
        issues: list[str] = []
        for field, index, header_text, parse in self.fields:
            raw = cells[index] if index < len(cells) else None
            value: Any = None
            if isinstance(raw, UncachedFormula):
                raise FieldError(header_text, str(raw), raw.reason())
            if raw is None or (isinstance(raw, str) and not raw.strip()):  # is_blank, inline: it runs per cell
                if field.required:
                    raise FieldError(header_text, raw, f"missing required field {header_text} ({field.name})")
            else:
                try:
                    value = parse(header_text, raw)
                except FieldError as error:
                    if field.required or field.type in STRICT_TYPES:
                        raise
                    issues.append(f"{field.name}: {error.reason}")
            if field.type == "stage":
                row[f"{field.name}_raw"], row[f"{field.name}_code"] = value if value else (None, None)
            else:
                row[field.name] = value
        row.update(self.fixed)
        if self.spec.is_canonical:
            row["record_key"] = "|".join(as_text(row[column]) or "" for column in self.spec.key)
        row["source_row"] = row_number
        row["data_issues"] = "; ".join(issues) or None
        return row


def content_of(row: dict[str, Any]) -> tuple[Any, ...]:
    """The values that make two rows with one key the same record (provenance and data_issues aside), in column
    name order; the columns to take are worked out once per set of columns, not per row."""
    columns = tuple(row)
    getter = _CONTENT_GETTERS.get(columns)
    if getter is None:
        names = [column for column in sorted(columns) if column not in PROVENANCE_COLUMNS]
        getter = _CONTENT_GETTERS[columns] = itemgetter(*names) if len(names) > 1 else lambda r: tuple(r[n] for n in names)
    return getter(row)


_CONTENT_GETTERS: dict[tuple[str, ...], Callable[[dict[str, Any]], tuple[Any, ...]]] = {}


class KeyRegistry:
    """Natural keys seen in this run, kept as hashes (bounded memory), with their row's content and position."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[int, str, int]] = {}

    def conflict(self, key: tuple[Any, ...], content: tuple[Any, ...], input_name: str, row_number: int) -> str | None:
        """Where the key was first seen with different content ('file[sheet] row 7'), or None."""
        first = self._seen.setdefault(hash(key), (hash(content), input_name, row_number))
        if first[0] != hash(content):
            return f"{first[1]} row {first[2]}"
        return None
