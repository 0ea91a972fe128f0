"""XLSX sheets are read by python-calamine with the values openpyxl gave; openpyxl only for a sheet calamine refuses."""
from __future__ import annotations

import zipfile
from datetime import datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest

from ingestion.common.files import DropFile
from ingestion.spreadsheets import readers
from ingestion.spreadsheets.readers import UncachedFormula, open_sheets

SPEC = SimpleNamespace(sheets=None)  # open_sheets reads only `sheets` of an XLSX entry


def _write(path: Path, fill: Any, change: tuple[bytes, bytes] | None = None) -> DropFile:
    """A workbook saved by openpyxl, then its sheet XML changed as Excel or a damaged copy would have it, and saved
    as Excel saves it (no fullCalcOnLoad)."""
    workbook = openpyxl.Workbook()
    fill(workbook.active)
    workbook.save(path)
    with zipfile.ZipFile(path) as source:
        items = [(item, source.read(item.filename)) for item in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item, data in items:
            if item.filename == "xl/worksheets/sheet1.xml" and change:
                assert change[0] in data
                data = data.replace(*change)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            target.writestr(item, data)
    return DropFile(path, path.name, "")


def _rows(drop: DropFile) -> list[tuple[int, tuple[Any, ...]]]:
    with open_sheets(drop, SPEC) as sheets:  # type: ignore[arg-type]
        return [(number, cells) for sheet in sheets for number, cells in sheet.rows]


@pytest.fixture
def openpyxl_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The workbooks openpyxl was asked to open (the fallback), by file name."""
    opened: list[str] = []
    load = openpyxl.load_workbook

    def counting(path: Path, **kwargs: Any) -> Any:
        opened.append(Path(path).name)
        return load(path, **kwargs)

    monkeypatch.setattr(readers.openpyxl, "load_workbook", counting)
    return opened


def _every_kind(sheet: Any) -> None:
    """Data from C3 (two blank rows and columns before it): every kind of cell value a sheet row can hold."""
    sheet["C3"], sheet["D3"], sheet["E3"], sheet["F3"] = "客户", 500, 0.25, datetime(2025, 3, 5)
    sheet["G3"], sheet["H3"], sheet["I3"] = datetime(2025, 3, 5, 9, 30), time(10, 30), timedelta(hours=30)
    sheet["C5"], sheet["D5"], sheet["E5"], sheet["F5"] = True, "#DIV/0!", "=D3*2", "  spaced  "
    sheet["C6"], sheet["D6"] = 12345678901234, 1e308
    sheet.merge_cells("C7:D7")
    sheet["C7"] = "merged"


def test_every_kind_of_cell_reads_as_openpyxl_read_it(tmp_path: Path, openpyxl_opened: list[str]) -> None:
    drop = _write(tmp_path / "kinds.xlsx", _every_kind)
    rows = _rows(drop)
    assert openpyxl_opened == []  # calamine read it all
    blank2 = (None, None)
    assert [number for number, _ in rows] == [1, 2, 3, 4, 5, 6, 7]  # the rows above the data come as blank rows
    trimmed = [(number, _trim(cells)) for number, cells in rows if _trim(cells)]
    assert trimmed == [
        (3, (*blank2, "客户", 500, 0.25, datetime(2025, 3, 5), datetime(2025, 3, 5, 9, 30), time(10, 30),
             timedelta(days=1, hours=6))),
        (5, (*blank2, True, "#DIV/0!", "=D3*2", "  spaced  ")),
        (6, (*blank2, 12345678901234, 1e308)),
        (7, (*blank2, "merged", "merged")),
    ]
    assert type(trimmed[1][1][4]) is UncachedFormula and type(trimmed[0][1][3]) is int  # 500, not 500.0
    assert _trimmed_openpyxl(drop) == trimmed  # what openpyxl (the reader before calamine) gave, cell for cell


def _trim(cells: tuple[Any, ...]) -> tuple[Any, ...]:
    """Without the blank cells after a row's last value (openpyxl ends a row at its last cell, calamine pads all
    rows to the sheet's width)."""
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    return cells[:end]


def _trimmed_openpyxl(drop: DropFile) -> list[tuple[int, tuple[Any, ...]]]:
    workbook = openpyxl.load_workbook(drop.path, read_only=True, data_only=True)
    try:
        rows = readers._openpyxl_rows(workbook.active, False)
        return [(number, _trim(cells)) for number, cells in rows if _trim(cells)]
    finally:
        workbook.close()


@pytest.mark.parametrize("cut_at", [b'<row r="3"', b"</sheetData>", b"<pageMargins"])
def test_a_sheet_cut_off_is_read_by_openpyxl_up_to_the_damage(
        tmp_path: Path, openpyxl_opened: list[str], cut_at: bytes) -> None:
    """The sheet's XML cut off before row 3 (calamine refuses it), after its last row, after its cells (calamine
    would read these two without a word): openpyxl reads the rows above the cut, then fails as it always did."""
    def rows_of(sheet: Any) -> None:
        for number in range(1, 3):
            sheet.append([f"杭州{number}号", number])
        if cut_at == b'<row r="3"':
            sheet.append(["杭州3号", 3])

    def cut(path: Path) -> None:
        with zipfile.ZipFile(path) as source:
            items = [(item, source.read(item.filename)) for item in source.infolist()]
        with zipfile.ZipFile(path, "w") as target:
            for item, data in items:
                target.writestr(item, data[: data.index(cut_at)] if item.filename.endswith("sheet1.xml") else data)

    drop = _write(tmp_path / "cut.xlsx", rows_of)
    cut(drop.path)
    with open_sheets(drop, SPEC) as sheets:  # type: ignore[arg-type]
        rows = sheets[0].rows
        assert [next(rows), next(rows)] == [(1, ("杭州1号", 1)), (2, ("杭州2号", 2))]
        with pytest.raises(SyntaxError, match="no element found"):  # expat's ParseError, named in the quarantine
            next(rows)
    assert openpyxl_opened == ["cut.xlsx"]  # only a sheet calamine could not read costs an openpyxl opening


def test_a_whole_workbook_opens_openpyxl_never(tmp_path: Path, openpyxl_opened: list[str]) -> None:
    drop = _write(tmp_path / "whole.xlsx", lambda sheet: sheet.append(["杭州1号", 1]))
    assert _rows(drop) == [(1, ("杭州1号", 1))]
    assert openpyxl_opened == []


def test_each_batch_goes_to_dlt_as_one_arrow_table_of_the_declared_types(tmp_path: Path) -> None:
    import pyarrow as pa

    from ingestion.common.reconcile import Reconciliation
    from ingestion.spreadsheets.mapping import DEFAULT_MAPPING, load_mapping
    from ingestion.spreadsheets.tables import TableReader

    (tmp_path / "pipeline_export_en.csv").write_text(
        "Deal ID,Account Name,Stage,Stage Entered,Amount (CNY)\n"
        "E-1,Acme,Qualified,03/05/2025,\"1,250,000\"\n"   # row 2 loads
        "E-2,Beta,Qualified,03/06/2025,12.5\n"           # row 3 loads
        "E-3,Gamma,Qualified,03/07/2025,-5\n",           # row 4: negative amount, quarantined
        encoding="utf-8",
    )
    recon = Reconciliation("spreadsheets")
    items = list(TableReader(tmp_path, load_mapping(DEFAULT_MAPPING), "export_deals", recon).items({}))
    tables = [item for item in items if isinstance(item, pa.Table)]
    assert len(items) == 2 and len(tables) == 1  # one Arrow table for the batch, one quarantine row
    table = tables[0]
    assert table.num_rows == 2 and table.column("deal_id").to_pylist() == ["E-1", "E-2"]
    assert table.schema.field("amount_cny").type == pa.decimal128(18, 2)
    assert table.schema.field("stage_entered_on").type == pa.date32()
    assert [str(value) for value in table.column("amount_cny").to_pylist()] == ["1250000.00", "12.50"]
    assert table.column("source_row").to_pylist() == [2, 3]
    tally = recon.tally("pipeline_export_en.csv")
    assert (tally.rows_read, tally.rows_loaded, tally.rows_quarantined) == (3, 2, 1)


def test_a_batch_with_a_value_its_column_type_cannot_hold_goes_as_rows() -> None:
    from ingestion.spreadsheets.arrow import arrow_schema, as_arrow

    schema = arrow_schema({"n": {"data_type": "bigint"}, "d": {"data_type": "date"}})
    rows = [{"n": 1, "d": None}, {"n": "not a number", "d": None}]
    assert as_arrow(rows, schema) is rows  # dlt normalizes them one by one, as before
    assert as_arrow([{"n": 1, "other": 2}], schema) == [{"n": 1, "other": 2}]  # a column it does not declare
    assert as_arrow([{"n": 1, "d": None}], schema).num_rows == 1
