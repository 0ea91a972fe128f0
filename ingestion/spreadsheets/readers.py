"""Stream the rows of a CSV file or of each sheet of an XLSX workbook, numbered as a person sees them."""
from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from ingestion.common.errors import InputFileError
from ingestion.common.files import DropFile
from ingestion.spreadsheets.encoding import text_encoding
from ingestion.spreadsheets.mapping import InputSpec

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SPREADSHEET_SUFFIXES = (*EXCEL_SUFFIXES, ".xls", ".csv", ".tsv", ".txt")
Row = tuple[int, tuple[Any, ...]]  # (1-based physical row number, cell values)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long 关键动作记录 cells are fine


@dataclass
class Sheet:
    """One grid of cells: a CSV file or one worksheet. `problem` rejects it before any row is read."""

    input_name: str
    sheet_name: str | None
    rows: Iterator[Row]
    listed: bool = True  # named by the mapping (or a CSV): an empty one is an error, not skipped
    problem: InputFileError | None = None


@contextmanager
def open_sheets(drop: DropFile, spec: InputSpec) -> Iterator[list[Sheet]]:
    """The sheets of a file, rows read lazily while it is open; InputFileError when the file cannot be read at all."""
    if drop.path.stat().st_size == 0:
        raise InputFileError(drop.name, "file is empty")
    suffix = drop.path.suffix.lower()
    if suffix == ".xls":
        raise InputFileError(drop.name, "old .xls workbooks cannot be read; save it as .xlsx")
    if suffix not in EXCEL_SUFFIXES:
        encoding = text_encoding(drop.path, drop.name, spec.encoding)
        rows = _csv_rows(drop.path, encoding, spec.delimiter)
        try:
            yield [Sheet(drop.name, None, rows)]
        finally:
            rows.close()
        return
    try:
        workbook = openpyxl.load_workbook(drop.path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "not a workbook"
        raise InputFileError(drop.name, f"not a readable .xlsx workbook ({error})") from None
    try:
        yield list(_worksheets(workbook, drop, spec))
    finally:
        workbook.close()


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[Row]:
    with path.open(encoding=encoding, errors="strict", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        first_line = 1
        for cells in reader:
            yield first_line, tuple(cells)
            first_line = reader.line_num + 1  # a quoted cell may span lines


def _worksheets(workbook: Any, drop: DropFile, spec: InputSpec) -> Iterator[Sheet]:
    available = [sheet.title for sheet in workbook.worksheets]
    for title in spec.sheets or available:
        input_name = f"{drop.name}[{title}]"
        if title not in available:
            problem = InputFileError(
                input_name, f"workbook has no sheet {title!r} (it has: {', '.join(available)})", field="sheet"
            )
            yield Sheet(input_name, title, iter(()), problem=problem)
            continue
        worksheet = workbook[title]
        worksheet.reset_dimensions()  # trust the cells, not the size the writing program claimed
        rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
        yield Sheet(input_name, title, rows, listed=spec.sheets is not None)
