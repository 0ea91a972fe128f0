"""Find a sheet's header row (skipping title rows above it) and map its columns to the entry's fields."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ingestion.common.errors import InputFileError
from ingestion.common.parsing import is_blank
from ingestion.spreadsheets.mapping import FieldSpec, InputSpec, normalize_header
from ingestion.spreadsheets.readers import Row
from ingestion.spreadsheets.values import as_text


class EmptyInput(InputFileError):
    """The file or sheet has no non-blank cell at all."""


def is_blank_row(cells: tuple[Any, ...]) -> bool:
    return all(is_blank(cell) for cell in cells)


@dataclass(frozen=True)
class Header:
    """The header row: its number, its texts as written, and the column index of each field found in it."""

    row_number: int
    texts: tuple[str, ...]
    positions: tuple[tuple[FieldSpec, int], ...]

    def text_of(self, column: int) -> str:
        return self.texts[column] if column < len(self.texts) and self.texts[column] else f"column {column + 1}"

    def raw_record(self, cells: tuple[Any, ...]) -> dict[str, Any]:
        """The row as written, keyed by header text, for the quarantine."""
        return {self.text_of(index): cell for index, cell in enumerate(cells) if not is_blank(cell)}


def find_header(rows: Iterator[Row], spec: InputSpec, input_name: str, empty_message: str) -> Header:
    """Consume rows up to and including the header; raise EmptyInput or InputFileError (no header, missing column)."""
    aliases = {normalize_header(alias): field for field in spec.fields for alias in field.aliases}
    looked_at = 0
    for number, cells in rows:
        if is_blank_row(cells):
            continue
        texts = tuple(as_text(cell) or "" for cell in cells)
        found: dict[str, tuple[FieldSpec, int]] = {}
        for index, text in enumerate(texts):
            field = aliases.get(normalize_header(text)) if text else None
            if field is not None and field.name not in found:
                found[field.name] = (field, index)
        if len(found) >= spec.header_min_matches:
            _require_columns(spec, found, input_name)
            positions = tuple(found[field.name] for field in spec.fields if field.name in found)
            return Header(number, texts, positions)
        looked_at += 1
        if looked_at >= spec.header_search_rows:
            break
    if looked_at == 0:
        raise EmptyInput(input_name, empty_message)
    names = ", ".join(field.aliases[0] for field in spec.fields)
    raise InputFileError(
        input_name,
        f"no header row in the first {looked_at} non-blank rows: none names at least {spec.header_min_matches} of "
        f"{names} (add the sheet's header texts as aliases of entry {spec.name} in mapping.yaml)",
        field="header",
    )


def _require_columns(spec: InputSpec, found: dict[str, Any], input_name: str) -> None:
    missing = [field for field in spec.fields if field.required and field.name not in found]
    if missing:
        message = "; ".join(
            f"header has no column for required field {field.label}; looked for: {', '.join(field.aliases)}"
            for field in missing
        )
        raise InputFileError(input_name, message, field=missing[0].aliases[0])
