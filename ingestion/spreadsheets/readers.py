"""Stream the rows of a CSV file or of each sheet of an XLSX workbook, numbered as a person sees them. XLSX sheets are
read by python-calamine (Rust), openpyxl only where calamine cannot read a workbook or a sheet (a damaged one)."""
from __future__ import annotations

import csv
import re
import sys
import posixpath
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

import openpyxl
import python_calamine
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
    uncalculated = _asks_full_calculation(drop.path)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(drop.path)
    except Exception:  # noqa: BLE001 - calamine cannot read it: openpyxl reads it, or names what is wrong
        workbook = None
    else:
        archive = zipfile.ZipFile(drop.path)  # calamine read it: a zip
    if workbook is None:
        fallback = _openpyxl_workbook(drop)
        try:
            yield list(_worksheets(fallback, drop, spec, uncalculated))
        finally:
            fallback.close()
        return
    fallback_of_sheet = _LazyOpenpyxl(drop)
    try:
        yield list(_calamine_worksheets(workbook, archive, drop, spec, uncalculated, fallback_of_sheet))
    finally:
        workbook.close()
        archive.close()
        fallback_of_sheet.close()


def _openpyxl_workbook(drop: DropFile) -> Any:
    try:
        return openpyxl.load_workbook(drop.path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "not a workbook"
        raise InputFileError(drop.name, f"not a readable .xlsx workbook ({error})") from None


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
    for title, problem in _listed(available, drop, spec):
        rows = iter(()) if problem else _openpyxl_rows(workbook[title], uncalculated)
        yield Sheet(f"{drop.name}[{title}]", title, rows, listed=spec.sheets is not None, problem=problem)


def _listed(available: list[str], drop: DropFile, spec: InputSpec) -> Iterator[tuple[str, InputFileError | None]]:
    """The sheets to read (those the entry names, else all), each with the error of a named sheet that is missing."""
    for title in spec.sheets or available:
        problem = None
        if title not in available:
            problem = InputFileError(f"{drop.name}[{title}]",
                                     f"workbook has no sheet {title!r} (it has: {', '.join(available)})", field="sheet")
        yield title, problem


def _openpyxl_rows(worksheet: Any, uncalculated: bool) -> Iterator[Row]:
    worksheet.reset_dimensions()  # trust the cells, not the size the writing program claimed
    rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
    return _with_xml_cells(rows, worksheet._get_source, uncalculated)  # the sheet's XML inside the workbook


class _LazyOpenpyxl:
    """openpyxl's reading of the workbook, opened only for a sheet calamine cannot read (a damaged one)."""

    def __init__(self, drop: DropFile) -> None:
        self.drop = drop
        self.workbook: Any = None

    def rows(self, title: str, uncalculated: bool) -> Iterator[Row]:
        if self.workbook is None:
            self.workbook = _openpyxl_workbook(self.drop)
        yield from _openpyxl_rows(self.workbook[title], uncalculated)

    def close(self) -> None:
        if self.workbook is not None:
            self.workbook.close()


def _calamine_worksheets(workbook: Any, archive: zipfile.ZipFile, drop: DropFile, spec: InputSpec,
                         uncalculated: bool, fallback: _LazyOpenpyxl) -> Iterator[Sheet]:
    available = [sheet.name for sheet in workbook.sheets_metadata if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet]
    parts = _sheet_parts(archive)
    for title, problem in _listed(available, drop, spec):
        rows = iter(()) if problem else _calamine_rows(workbook, archive, parts.get(title), title, uncalculated, fallback)
        yield Sheet(f"{drop.name}[{title}]", title, rows, listed=spec.sheets is not None, problem=problem)


def _calamine_rows(workbook: Any, archive: zipfile.ZipFile, part: str | None, title: str, uncalculated: bool,
                   fallback: _LazyOpenpyxl) -> Iterator[Row]:
    """The sheet's rows as openpyxl gives them (see _as_openpyxl); read by openpyxl when calamine cannot read the
    sheet, so a sheet damaged part way still loads the rows above the damage and names where reading stopped."""
    try:
        if part is None:
            raise KeyError(title)
        sheet = workbook.get_sheet_by_name(title)
        rows = _with_xml_cells(_grid(sheet.iter_rows(), sheet.start), lambda: archive.open(part), uncalculated,
                               whole=True)
    except Exception:  # noqa: BLE001 - calamine's XML and zip errors: openpyxl reads what it can and says where it stopped
        yield from fallback.rows(title, uncalculated)
        return
    yield from rows


def _grid(values_by_row: Iterator[list[Any]], start: tuple[int, int] | None) -> Iterator[Row]:
    """calamine's rows numbered from the sheet's first row (it yields the rows above its data as blank rows) and
    shifted right by the blank columns left of its data, which it leaves out."""
    if start is None:  # no cell at all
        return
    pad = (None,) * start[1]
    for number, values in enumerate(values_by_row, start=1):
        yield number, (*pad, *[_as_openpyxl(value) for value in values])


_MAX_EXACT = 2.0**53


def _as_openpyxl(value: Any) -> Any:
    """A cell as openpyxl gives it: an empty cell None (calamine gives ''), a date cell a datetime (calamine gives a
    date when the time is 00:00), a whole number int (Excel saves 500 as "500", which openpyxl reads as int)."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        return int(value) if value.is_integer() and -_MAX_EXACT < value < _MAX_EXACT else value
    if kind is date:
        return datetime(value.year, value.month, value.day)
    return value


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: its XML part in the archive}, from the workbook part and its relationships."""
    try:
        book = _main_part(archive)
        folder, name = posixpath.split(book)
        targets = {rel.get("Id"): rel.get("Target", "") for rel in _elements(archive, f"{folder}/_rels/{name}.rels")}
        parts = {}
        for sheet in _elements(archive, book):
            if sheet.tag.rsplit("}", 1)[-1] != "sheet":
                continue
            rel = next((value for key, value in sheet.attrib.items() if key.rsplit("}", 1)[-1] == "id"), None)
            target = targets.get(rel, "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            parts[sheet.get("name")] = part
        return parts
    except (KeyError, OSError, zipfile.BadZipFile, ValueError, SyntaxError):
        return {}  # every sheet is read by openpyxl


def _main_part(archive: zipfile.ZipFile) -> str:
    for rel in _elements(archive, "_rels/.rels"):
        if rel.get("Type", "").endswith("/officeDocument"):
            return rel.get("Target", "").lstrip("/")
    return "xl/workbook.xml"


def _elements(archive: zipfile.ZipFile, part: str) -> Iterator[Any]:
    with archive.open(part) as source:
        for _, element in iterparse(source):
            yield element


Source = Callable[[], Any]  # opens the sheet's XML (a binary file object, used as a context manager)


def _with_xml_cells(rows: Iterator[Row], source: Source, uncalculated: bool, whole: bool = False) -> Iterator[Row]:
    """The rows, completed from the sheet's XML where the reader does not say what a person sees: merged cells,
    formulas without a (real) saved value, error cells. With `whole`, a sheet whose XML is cut off after its cells
    (which calamine reads without a word) raises, so that openpyxl reads it and says where it stopped."""
    has_cells, merges, ended = _scan(source)
    if whole and not ended:
        raise ValueError("the sheet's XML is cut off")
    from_xml = cells_from_xml(source, uncalculated) if has_cells else {}
    return _completed(rows, from_xml, merges) if from_xml or merges else rows


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*\bt="e"')
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')
_WORKSHEET_END = re.compile(rb"</(?:\w+:)?worksheet>\s*$")
Merge = tuple[int, int, int, int]  # first row, first column, last row, last column


def _scan(source: Source) -> tuple[bool, list[Merge], bool]:
    """One pass over the sheet's XML bytes: whether any cell has a formula or an error value, the merged ranges
    (which openpyxl's read-only mode does not report), and whether the XML ends (is not cut off)."""
    has_cells, refs, tail = False, set(), b""
    with source() as handle:
        while chunk := handle.read(1 << 20):
            window = tail + chunk
            has_cells = has_cells or bool(_FORMULA_TAG.search(window) or _ERROR_CELL.search(window))
            refs.update(_MERGE_CELL.findall(window))
            tail = window[-80:]
    merges = [(*coordinate_to_tuple(first.decode()), *coordinate_to_tuple(last.decode())) for first, last in refs]
    return has_cells, sorted(merges), bool(_WORKSHEET_END.search(tail))


def cells_from_xml(source: Source, uncalculated: bool = False) -> dict[tuple[int, int], Any]:
    """{(row, column): value} of the cells a reader does not give as a person sees them: each formula cell saved
    without a calculated value, which a data_only reading returns as blank (openpyxl and other writers that do not
    calculate save `<f>` and an empty `<v>`), as an UncachedFormula; with `uncalculated` (the workbook asks to be
    recalculated when opened) every formula cell, whatever value it saved; and each error cell as its text
    ('#DIV/0!', which calamine gives as blank)."""
    found: dict[tuple[int, int], Any] = {}
    with source() as handle:
        for _, element in iterparse(handle):
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
                found[coordinate_to_tuple(element.get("r"))] = kind(text)
            elif element.get("t") == "e" and value is not None and value.text:
                found[coordinate_to_tuple(element.get("r"))] = value.text
            element.clear()
    return found


def _completed(rows: Iterator[Row], from_xml: dict[tuple[int, int], Any], merges: list[Merge]) -> Iterator[Row]:
    """The rows as a person sees them: every cell of a merged range holds the range's value (Excel keeps it in the
    first cell only), each formula cell without a saved value is an UncachedFormula, never a blank, and each error
    cell its error text."""
    by_row: dict[int, dict[int, Any]] = {}
    for (row, column), value in from_xml.items():
        by_row.setdefault(row, {})[column] = value
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
