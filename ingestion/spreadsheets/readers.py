"""Stream the rows of a CSV file or of each sheet of an XLSX workbook, numbered as a person sees them."""
from __future__ import annotations

import csv
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

import openpyxl
from openpyxl.utils.cell import coordinate_to_tuple

from ingestion.common.errors import InputFileError
from ingestion.common.files import DropFile
from ingestion.spreadsheets.encoding import text_encoding
from ingestion.spreadsheets.mapping import InputSpec

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SPREADSHEET_SUFFIXES = (*EXCEL_SUFFIXES, ".xls", ".csv", ".tsv", ".txt")
Row = tuple[int, tuple[Any, ...]]  # (1-based physical row number, cell values)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long 关键动作记录 cells are fine


@dataclass
class NulBytes:
    """NUL bytes removed from a CSV file while it was read (a damaged export), and the first line that had one."""

    count: int = 0
    first_line: int = 0

    def __str__(self) -> str:
        return f"{self.count} NUL byte{'s' if self.count != 1 else ''} (the first on line {self.first_line})"


class UncachedFormula(str):
    """A formula cell saved without its value (written by a program that does not calculate): never read as blank."""

    def reason(self) -> str:
        return (f"formula {self} has no saved value (the program that wrote the file does not calculate); open and "
                "save the file in Excel, then drop it again")


class UncalculatedFormula(UncachedFormula):
    """A formula cell of a workbook that asks to be recalculated when opened (fullCalcOnLoad: written by a program
    that does not calculate, e.g. xlsxwriter, which saves 0 as every formula's value): its saved value is not one."""

    def reason(self) -> str:
        return (f"formula {self} was never calculated (the file asks Excel to calculate it when opened, so its saved "
                "value is a placeholder); open and save the file in Excel, then drop it again")


@dataclass
class Sheet:
    """One grid of cells: a CSV file or one worksheet. `problem` rejects it before any row is read."""

    input_name: str
    sheet_name: str | None
    rows: Iterator[Row]
    listed: bool = True  # named by the mapping (or a CSV): an empty one is an error, not skipped
    problem: InputFileError | None = None
    nul_bytes: NulBytes = field(default_factory=NulBytes)


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
        nul_bytes = NulBytes()
        rows = _csv_rows(drop.path, encoding, spec.delimiter, nul_bytes)
        try:
            yield [Sheet(drop.name, None, rows, nul_bytes=nul_bytes)]
        finally:
            rows.close()
        return
    try:
        workbook = openpyxl.load_workbook(drop.path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "not a workbook"
        raise InputFileError(drop.name, f"not a readable .xlsx workbook ({error})") from None
    try:
        yield list(_worksheets(workbook, drop, spec, _asks_full_calculation(drop.path)))
    finally:
        workbook.close()


_FULL_CALC_ON_LOAD = re.compile(rb'<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad="(?:1|true)"')


def _asks_full_calculation(path: Path) -> bool:
    """Whether the workbook asks to be recalculated when opened (<calcPr fullCalcOnLoad="1">). Programs that write
    formulas without calculating them set it (xlsxwriter, openpyxl); Excel clears it when it saves the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            return bool(_FULL_CALC_ON_LOAD.search(archive.read("xl/workbook.xml")))
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def _without_nul(lines: Iterable[str], nul_bytes: NulBytes) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            nul_bytes.first_line = nul_bytes.first_line or number
            nul_bytes.count += line.count("\x00")
            line = line.replace("\x00", "")
        yield line


def _csv_rows(path: Path, encoding: str, delimiter: str, nul_bytes: NulBytes) -> Iterator[Row]:
    with path.open(encoding=encoding, errors="strict", newline="") as handle:
        reader = csv.reader(_without_nul(handle, nul_bytes), delimiter=delimiter)
        first_line = 1
        for cells in reader:
            yield first_line, tuple(cells)
            first_line = reader.line_num + 1  # a quoted cell may span lines


def _worksheets(workbook: Any, drop: DropFile, spec: InputSpec, uncalculated: bool) -> Iterator[Sheet]:
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
        has_formulas, merges = _scan(worksheet)
        uncached = formulas_without_value(worksheet, uncalculated) if has_formulas else {}
        if uncached or merges:
            rows = _completed(rows, uncached, merges)
        yield Sheet(input_name, title, rows, listed=spec.sheets is not None)


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')
Merge = tuple[int, int, int, int]  # first row, first column, last row, last column


def _scan(worksheet: Any) -> tuple[bool, list[Merge]]:
    """One pass over the sheet's XML bytes: whether any cell has a formula, and the merged ranges (which openpyxl's
    read-only mode does not report)."""
    has_formulas, refs, tail = False, set(), b""
    with worksheet._get_source() as source:  # the sheet's XML inside the workbook
        while chunk := source.read(1 << 20):
            window = tail + chunk
            has_formulas = has_formulas or bool(_FORMULA_TAG.search(window))
            refs.update(_MERGE_CELL.findall(window))
            tail = window[-80:]
    merges = [(*coordinate_to_tuple(first.decode()), *coordinate_to_tuple(last.decode())) for first, last in refs]
    return has_formulas, sorted(merges)


def formulas_without_value(worksheet: Any, uncalculated: bool = False) -> dict[tuple[int, int], UncachedFormula]:
    """{(row, column): formula} of the formula cells saved without a calculated value, which openpyxl's data_only
    reading returns as blank (openpyxl and other writers that do not calculate save `<f>` and an empty `<v>`); with
    `uncalculated` (the workbook asks to be recalculated when opened) every formula cell, whatever value it saved."""
    missing: dict[tuple[int, int], UncachedFormula] = {}
    with worksheet._get_source() as source:
        for _, element in iterparse(source):
            if not element.tag.endswith("}c"):
                continue
            children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
            value = children.get("v")
            # a formula whose result is the empty text is saved as t="str" with an empty <v>: calculated, not missing
            calculated = value is not None and (value.text or element.get("t") == "str")
            if "f" in children and (uncalculated or not calculated):
                formula = children["f"].text
                text = f"={formula}" if formula else "(a shared formula)"
                kind = UncalculatedFormula if uncalculated and calculated else UncachedFormula
                missing[coordinate_to_tuple(element.get("r"))] = kind(text)
            element.clear()
    return missing


def _completed(rows: Iterator[Row], uncached: dict[tuple[int, int], UncachedFormula], merges: list[Merge]
               ) -> Iterator[Row]:
    """The rows as a person sees them: every cell of a merged range holds the range's value (Excel keeps it in the
    first cell only), and each formula cell without a saved value is an UncachedFormula, never a blank."""
    by_row: dict[int, dict[int, Any]] = {}
    for (row, column), formula in uncached.items():
        by_row.setdefault(row, {})[column] = formula
    merges_by_row: dict[int, list[Merge]] = {}
    for merge in merges:
        for row in range(merge[0], merge[2] + 1):
            merges_by_row.setdefault(row, []).append(merge)
    anchors: dict[Merge, Any] = {}
    for number, cells in rows:
        changes = dict(by_row.get(number, {}))
        for merge in merges_by_row.get(number, []):
            first_row, first_column, _, last_column = merge
            if number == first_row:
                written = cells[first_column - 1] if first_column <= len(cells) else None
                anchors[merge] = changes.get(first_column, written)
            for column in range(first_column, last_column + 1):
                if (number, column) != (first_row, first_column):
                    changes[column] = anchors.get(merge)
        if changes:
            padded = (*cells, *([None] * (max(changes) - len(cells))))
            cells = tuple(changes.get(index + 1, cell) for index, cell in enumerate(padded))
        yield number, cells
