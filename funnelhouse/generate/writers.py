"""Streaming file writers (JSONL, CSV, XLSX) that record row counts and produce byte-identical output."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

MAX_SPREADSHEET_ROWS = 50_000
_ZIP_TIMESTAMP = (2026, 1, 1, 0, 0, 0)


class FileLog:
    """Collects every written file with its row count, for the manifest and the summary."""

    def __init__(self, root: Path):
        self.root = root
        self.rows: dict[str, int] = {}
        self.notes: dict[str, str] = {}

    def record(self, path: Path, rows: int, note: str | None = None) -> None:
        key = path.relative_to(self.root).as_posix()
        self.rows[key] = rows
        if note:
            self.notes[key] = note


def to_json_line(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class JsonlWriter:
    """Appends one JSON object per line; remembers where the last line starts so it can be cut short."""

    def __init__(self, path: Path, log: FileLog):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.log = path, log
        self._file = open(path, "wb")
        self.rows = 0
        self._position = 0
        self._last_line_start = 0

    def write(self, obj: Any) -> None:
        self.write_encoded(to_json_line(obj))

    def write_encoded(self, line: bytes) -> None:
        """Append an already encoded line (ending in a newline)."""
        self._last_line_start = self._position
        self._file.write(line)
        self._position += len(line)
        self.rows += 1

    def close(self, truncate_last_line: bool = False) -> None:
        note = None
        if truncate_last_line and self.rows:
            self._file.truncate(self._middle_of_last_line())
            note = "last line truncated (cut mid-JSON, no trailing newline)"
        self._file.close()
        self.log.record(self.path, self.rows, note)

    def _middle_of_last_line(self) -> int:
        """A byte offset near the middle of the last line that does not split a UTF-8 character."""
        self._file.flush()
        length = self._position - self._last_line_start
        with open(self.path, "rb") as reader:
            reader.seek(self._last_line_start)
            line = reader.read(length)
        cut = length // 2
        while cut > 1 and (line[cut] & 0xC0) == 0x80:
            cut -= 1
        return self._last_line_start + cut


def write_jsonl(path: Path, log: FileLog, records) -> int:
    """Writes every record of an iterable as one JSONL file; returns the row count."""
    writer = JsonlWriter(path, log)
    for record in records:
        writer.write(record)
    writer.close()
    return writer.rows


class MonthlyJsonl:
    """One JSONL file per month (`pattern` has a {month} placeholder); months arrive in order."""

    def __init__(self, directory: Path, pattern: str, log: FileLog):
        self.directory, self.pattern, self.log = directory, pattern, log
        self.current_month: str | None = None
        self.writer: JsonlWriter | None = None

    def write(self, month: str, obj: Any) -> None:
        self.write_encoded(month, to_json_line(obj))

    def write_encoded(self, month: str, line: bytes) -> None:
        if month != self.current_month:
            if self.writer:
                self.writer.close()
            self.current_month = month
            self.writer = JsonlWriter(self.directory / self.pattern.format(month=month), self.log)
        self.writer.write_encoded(line)

    def close(self, truncate_last_line: bool = False) -> None:
        if self.writer:
            self.writer.close(truncate_last_line)


def part_path(directory: Path, stem: str, suffix: str, part: int | None) -> Path:
    """NAME.ext for a single file, NAME_partNN.ext when the output is split."""
    return directory / (f"{stem}{suffix}" if part is None else f"{stem}_part{part:02d}{suffix}")


class PartedCsv:
    """A CSV (header + rows) split into NAME_partNN files once `rotate()` is called; single file otherwise."""

    def __init__(
        self,
        directory: Path,
        stem: str,
        header: list[str],
        encoding: str,
        log: FileLog,
        split: bool,
        trailing_blank_rows: int = 0,
    ):
        self.directory, self.stem, self.header, self.encoding, self.log = (
            directory,
            stem,
            header,
            encoding,
            log,
        )
        self.split, self.trailing_blank_rows = split, trailing_blank_rows
        self.part = 0
        self._file = None
        self._writer = None
        self.rows = 0
        directory.mkdir(parents=True, exist_ok=True)

    def _open(self) -> None:
        self.part += 1
        self.path = part_path(self.directory, self.stem, ".csv", self.part if self.split else None)
        self._file = open(self.path, "w", encoding=self.encoding, newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(self.header)
        self.rows = 0

    def write(self, row: list[Any]) -> None:
        if self._file is None:
            self._open()
        self._writer.writerow(row)
        self.rows += 1

    def rotate(self) -> None:
        self.close()

    def close(self) -> None:
        if self._file is None:
            return
        for _ in range(self.trailing_blank_rows):
            self._writer.writerow([""] * len(self.header))
        self._file.close()
        self.log.record(self.path, self.rows)
        self._file = self._writer = None


class _FixedTimeZipFile(zipfile.ZipFile):
    """A ZipFile that stamps every entry with the same date, so saved workbooks are byte-identical."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIMESTAMP)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as source:
            self.writestr(arcname or Path(filename).name, source.read(), compress_type, compresslevel)


class TrackerWorkbook:
    """A streaming two-sheet workbook: merged title row, header row, data rows, blank trailing rows."""

    def __init__(
        self,
        path: Path,
        sheet_titles: dict[str, str],
        header: list[str],
        created: datetime,
        column_widths: list[int],
        log: FileLog,
        author: str,
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.header, self.log = path, header, log
        self.workbook = Workbook(write_only=True)
        self.workbook.properties.creator = author
        self.workbook.properties.lastModifiedBy = author
        self.workbook.properties.created = created
        self.workbook.properties.modified = created
        self.sheets = {}
        self.rows = 0
        for name, title in sheet_titles.items():
            self.sheets[name] = self._start_sheet(name, title, column_widths)

    def _start_sheet(self, name: str, title: str, column_widths: list[int]):
        sheet = self.workbook.create_sheet(name)
        for index, width in enumerate(column_widths, 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        title_cell = WriteOnlyCell(sheet, value=title)
        title_cell.font = Font(bold=True, size=14)
        title_cell.alignment = Alignment(horizontal="center")
        sheet.append([title_cell])
        sheet.merged_cells.add(f"A1:{get_column_letter(len(self.header))}1")
        header_cells = []
        for label in self.header:
            cell = WriteOnlyCell(sheet, value=label)
            cell.font = Font(bold=True)
            header_cells.append(cell)
        sheet.append(header_cells)
        return sheet

    def append(self, sheet_name: str, values: list[Any], number_formats: dict[int, str]) -> None:
        sheet = self.sheets[sheet_name]
        row = []
        for index, value in enumerate(values):
            if index in number_formats and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_formats[index]
                row.append(cell)
            else:
                row.append(value)
        sheet.append(row)
        self.rows += 1

    def close(self, trailing_blank_rows: int) -> None:
        for sheet in self.sheets.values():
            for _ in range(trailing_blank_rows):
                sheet.append([""] * len(self.header))
        archive = _FixedTimeZipFile(self.path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        ExcelWriter(self.workbook, archive).save()
        self.log.record(self.path, self.rows)


def stream_parts(total: int, per_part: int) -> Callable[[int], int | None]:
    """Maps a row index to its part number (1-based), or None when everything fits in one file."""
    if total <= per_part:
        return lambda index: None
    return lambda index: index // per_part + 1
