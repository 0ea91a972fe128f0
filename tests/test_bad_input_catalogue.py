"""A catalogue of bad input, one kind per row: forms, spreadsheets (CSV, XLSX, GBK, Chinese headers, 万) and HubSpot
records. Each kind has its expected outcome — a loaded value, a quarantine reason (exact text) or a one-line error —
and every run shows the other files of the source loaded and rows read = loaded + quarantined, per input."""
from __future__ import annotations

import json
import re
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import dlt
import duckdb
import openpyxl
import pytest

from ingestion.common.drop import OUTSIDE_LINK
from ingestion.common.reconcile import Reconciliation
from ingestion.common.schema import declare_table
from ingestion.hubspot.rows import history_columns, history_key, object_columns
from ingestion.hubspot.settings import OBJECT_SPECS
from ingestion.hubspot.source import _object_loader
from ingestion.pipeline import make_pipeline, run_source
from ingestion.run import IngestOptions, ingest_source
from ingestion.spreadsheets import spreadsheets_source

SETTLE = "0.3"  # FUNNELHOUSE_SETTLE_SECONDS in this module: a file must stay unchanged this long to be read
RANGE = "is outside 1900-01-01 .. 2199-12-31; correct the year"
FORMATS = "ISO 8601 such as 2025-03-05T10:22:01Z or +08:00, 2025-03-05 10:22:01 UTC, or epoch milliseconds"
TOO_DEEP = "JSON nested deeper than 32 levels; a form payload is never this deep, check what wrote the file"
STAGE_MAP = "dbt_project/seeds/funnel/funnel_stage_map.csv"
AMOUNT_TOO_LARGE = ("is too large for the warehouse (at most 16 digits before the decimal point); correct the amount "
                    "in the file")
AMBIGUOUS_POINT = ("with decimal_separator '.' a ',' may only group thousands (1,234,567.89); write the number without "
                   "it, or set decimal_separator: ',' for this entry in mapping.yaml")
AMBIGUOUS_COMMA = ("with decimal_separator ',' a '.' may only group thousands (1.234.567,89); write the number without "
                   "it, or set decimal_separator: '.' for this entry in mapping.yaml")
NO_HEADER = ("no header row in the first 2 non-blank rows: none names at least 2 of Deal ID, Account Name, Industry, "
             "Company Size, Contact Name, Title, Phone, Email, Stage, Stage Entered, Created, Owner, Amount (CNY), "
             "Lost Reason, Channel (add the sheet's header texts as aliases of entry export_deals in mapping.yaml)")
FORMULA = ("has no saved value (the program that wrote the file does not calculate); open and save the file in Excel, "
           "then drop it again")


def jsonl(*records: Any) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def lead(number: int, **fields: Any) -> dict[str, Any]:
    """A flat export record that loads, with `fields` changed."""
    return {"submission_id": f"X-{number:03d}", "submitted_at": "2025-01-10 10:00:00", "form": "contact",
            "email": f"lead{number}@example.com", **fields}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def typeform(token: str, **response: Any) -> dict[str, Any]:
    base = {"token": token, "submitted_at": "2025-01-05T08:00:00Z", "answers": [
        {"type": "email", "field": {"id": "e", "type": "email"}, "email": f"{token}@example.com"}]}
    return {"event_type": "form_response", "form_response": {**base, **response}}


def jinshuju(serial: int, entry: Any) -> dict[str, Any]:
    return {"form": "fhTrial", "form_name": "产品试用申请", "entry": entry if entry is not None else {
        "serial_number": serial, "field_3": f"j{serial}@example.com", "created_at": "2025-01-07T02:00:00.000Z"}}


FORM_FILES: dict[str, bytes] = {
    "export/all_good.jsonl": jsonl(lead(1, name="王伟"), lead(2, phone="13800138000", email=None)).encode(),
    "export/bad.jsonl": (
        jsonl(
            lead(10, submitted_at="0001-01-01T00:00:00Z"),                       # line 1
            lead(11, submitted_at="9999-12-31T23:00:00-05:00"),                  # line 2
            '{"submission_id": "X-012", "submitted_at": 1e308, "email": "a@example.com"}',  # line 3
            '{"submission_id": "X-013", "submitted_at": NaN, "email": "a@example.com"}',    # line 4
            lead(14, email={"address": "a@example.com"}),                        # line 5
            lead(15, submission_id=["X-015"]),                                   # line 6
            lead(16, form={"id": 7}),                                            # line 7
            '{"submission_id": "X-017", "deep": ' + nested(40) + "}",           # line 8
            nested(100_000),                                                     # line 9
            lead(20, name="李\u0000娜"),                                          # line 10: \u0000 inside a string
            lead(21, submitted_at="2025-01-07"),                                 # line 11: a date, not a time
            ["not", "an", "object"],                                             # line 12
            lead(22, email="not-an-email", phone=None),                          # line 13
            lead(23, email="x23@example.com", submitted_at=1736503200000),      # line 14: epoch milliseconds
            lead(1, name="王伟 (changed)"),                                        # line 15: id of good.jsonl line 1
            '{"submission_id": "X-024", "submitted_at": "2025-01-10 10:00:00", "email": "a@example.com",,}',  # 16
        ).encode()
        + json.dumps(lead(25)).encode().replace(b'"X-025"', b'"X-\x00025"') + b"\n"        # line 17: NUL byte
        + b'{"submission_id": "X-026", "email": "caf\xe9@example.com"}\n'                  # line 18: Latin-1
        + b'{"submission_id": "X-027", "submitted_at": "2025-01-10 10:0'                  # line 19: cut off
    ),
    "export/empty.jsonl": b"",
    "typeform/bad.jsonl": jsonl(
        typeform("t1"),                                                           # line 1 loads
        typeform("t2", answers={"email": "t2@example.com"}),                     # line 2
        typeform("t3", hidden=["utm_source", "baidu"]),                          # line 3
        typeform("t4", definition={"fields": "email, phone"}),                   # line 4
        typeform("t5", hidden={"utm_source": {"value": "baidu"}}),               # line 5
    ).encode(),
    "typeform/broken.json": b'{"event_type": "form_response", "form_response": {"token": ',
    "jinshuju/bad.jsonl": jsonl(
        jinshuju(1, None),                                                        # line 1 loads
        jinshuju(2, ["serial_number", 2]),                                        # line 2
        jinshuju(3, {"serial_number": 3, "field_2": {"verified": True}, "created_at": "2025-01-07T02:00:00.000Z"}),
    ).encode(),
}

EXPORT_HEADER = "Deal ID,Account Name,Stage,Stage Entered,Amount (CNY),Email,Channel\n"
TRACKER_HEADER = "客户名称,当前阶段,进入阶段时间,预估金额(万),负责人,停留时长\n"
SHEET_FILES: dict[str, bytes] = {
    "pipeline_export_en_part01.csv": (EXPORT_HEADER
                                      + "G-1,Good One,Qualified,2025-03-05,\"1,250,000\",g1@example.com,Website\n"
                                      + "G-2,Good Two,Closed Won,03/06/2025,500000,,Referral\n").encode(),
    "pipeline_export_en_part02.csv": (
        EXPORT_HEADER
        + "B-01,Big,Qualified,2025-03-05,12345678901234567890,,\n"          # row 2
        + "B-02,Huge,Qualified,2025-03-05,1e308,,\n"                        # row 3
        + "B-03,NotANumber,Qualified,2025-03-05,NaN,,\n"                    # row 4
        + "B-04,Year One,Qualified,0001-01-01,100,,\n"                      # row 5
        + "B-05,Year 9999,Qualified,9999-12-31,100,,\n"                     # row 6
        + "B-06,Feb 31,Qualified,02/31/2025,100,,\n"                        # row 7
        + "B-07,Negative,Qualified,2025-03-05,-100,,\n"                     # row 8
        + "B-08,Unknown stage,Discovery,2025-03-05,100,,\n"                 # row 9
        + "B-09,Dollars,Qualified,2025-03-05,\"$1,200\",,\n"                # row 10
        + "B-10,Yuan sign,Qualified,2025-03-05,\"¥1,200\",,\n"              # row 11
        + "B-11,Comma decimal,Qualified,2025-03-05,\"1,25\",,\n"            # row 12
        + "B-12,=HYPERLINK(\"http://x.example\"),Qualified,2025-03-05,100,,\n"  # row 13
        + "B-13,Bad email,Qualified,2025-03-05,100,not-an-email,\n"         # row 14
        + "G-1,Good One,Lead,2025-03-05,1,,\n"                              # row 15: key of part01 row 2, other values
        + ",,,,,,\n"                                                          # row 16: blank, not counted
        + "B-14,\"Two\nlines\",Qualified,2025-03-05,100,,\n"               # rows 17-18: a quoted line break
        + "B-15,  Spaces  ,Qualified,2025-03-05, 100 ,,\n"                  # row 19
        + "B-16,No\x00l byte,Qualified,2025-03-05,100,,\n"                 # row 20: a NUL byte
        + "Total,,,,\"2,000,000\",,\n"                                       # row 21: a trailing totals row
    ).encode(),
    "pipeline_export_en_part03.csv": EXPORT_HEADER.encode(),                      # header only
    "pipeline_export_en_part04.csv": b"",                                         # empty
    "pipeline_export_en_part05.csv": ("\ufeff" + EXPORT_HEADER.replace("\n", "\r\n")
                                      + "B-20,BOM and CRLF,Qualified,2025-03-05,100,,\r\n").encode(),
    "pipeline_export_en_part06.csv": ("Deal ID,Deal ID,Account Name,Stage\nB-21,B-99,Twice,Qualified\n").encode(),
    "pipeline_export_en_part07.csv": (EXPORT_HEADER + "B-22,Café Crème,Qualified,2025-03-05,100,,\n").encode("cp1252"),
    "pipeline_export_en_part08.csv": (EXPORT_HEADER + "B-23,Wide,Qualified,2025-03-05,100,,\n").encode("utf-16"),
    "pipeline_export_en_part09.csv": b"Deal ID,Stage\nB-24,Qualified\n",
    "pipeline_export_en_part10.csv": b"just,some\nwords,here\n",
    "pipeline_export_en_part11.csv": EXPORT_HEADER.replace(",", ";").encode() + b"B-25;Semicolons;Qualified\n",
    "销售跟进表_华南.csv": (TRACKER_HEADER
                        + "广州一号,意向,2025/3/5,35.5,王强\n"       # row 2: bare number in 万
                        + "广州二号,意向,2025年3月6日,\"12,3万\",王强\n"  # row 3: 12,3万 is ambiguous
                        + "广州三号,意向,2025-03-07,\"1,250\",王强\n"   # row 4: 1,250 万
                        + "广州四号,意向,2025-03-08,\"355,000元\",王强\n"  # row 5: its own unit wins
                        + "广州五号,需求确认,2025-03-09,20,李娜,99999999999999999999天\n").encode("gbk"),  # row 6
}


def write_tracker_xlsx(path: Path) -> None:
    """A Chinese tracker: a merged title row, full-width header, a formula with no saved value, an error cell,
    1e308, a year-9999 date cell, a merged owner cell and a 2nd sheet that is empty."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "进行中"
    sheet.append(["华东区销售跟进表"])
    sheet.merge_cells("A1:E1")
    sheet.append(["客户名称", "当前阶段", "进入阶段时间", "预估金额（万）", "负责人"])        # row 2, full-width （）
    sheet.append(["上海一号", "意向", datetime(2025, 3, 5), 10, "王强"])               # row 3 loads
    sheet.append(["上海二号", "意向", datetime(2025, 3, 5), "=D3*2", "王强"])           # row 4: formula, no value
    sheet.append(["上海三号", "意向", datetime(2025, 3, 5), "#DIV/0!", "王强"])         # row 5: an error cell
    sheet.append(["上海四号", "意向", datetime(2025, 3, 5), 1e308, "王强"])             # row 6
    sheet.append(["上海五号", "意向", datetime(9999, 12, 31), 10, "王强"])              # row 7
    sheet.append(["上海六号", "报价", "2025-03-05", 10, "李娜"])                        # row 8: owner merged down
    sheet.append(["上海七号", "报价", 45721, 10, None])                                 # row 9: Excel serial date
    sheet.append(["上海八号", "意向", datetime(2025, 3, 5), 10, '=IF(A10="","x","")'])  # row 10: result ""
    sheet.merge_cells("E8:E9")
    workbook.create_sheet("空表")
    workbook.save(path)
    _as_excel_saves_empty_text(path, "E10")


def write_cut_xlsx(path: Path) -> None:
    """A damaged workbook: its sheet's XML ends in the middle of row 4 (openpyxl writes it through lxml, which the
    lock installs for simple-salesforce: the cut falls at column 1,150 of its one line)."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["客户名称", "当前阶段", "进入阶段时间", "预估金额（万）"])
    for number in range(3):
        workbook.active.append([f"杭州{number}号", "意向", datetime(2025, 3, 5), 10])
    workbook.save(path)
    with zipfile.ZipFile(path) as source:
        items = [(item, source.read(item.filename)) for item in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item, data in items:
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b'<row r="4"') + 30]
            target.writestr(item, data)


def _rewrite_parts(path: Path, change: dict[str, tuple[bytes, bytes]]) -> None:
    """Replace bytes in parts of the workbook: {part name: (old, new)}. An empty element is matched however the XML
    writer spelt it (openpyxl writes `<v />` through the standard library, `<v></v>` when lxml is installed)."""
    with zipfile.ZipFile(path) as source:
        items = [(item, source.read(item.filename)) for item in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item, data in items:
            if item.filename in change:
                old, new = change[item.filename]
                pattern = re.sub(rb"<(\w+)\\ />", rb"(?:<\1\\s?/>|<\1></\1>)", re.escape(old))
                data, replaced = re.subn(pattern, new, data)
                assert replaced, (item.filename, old)
            target.writestr(item, data)


def _as_excel_saves_empty_text(path: Path, cell: str) -> None:
    """Mark a formula cell as Excel saves one whose result is the empty text: t="str" and an empty value; and the
    workbook as Excel saves it: no longer asking to be recalculated when opened (openpyxl sets fullCalcOnLoad)."""
    _rewrite_parts(path, {"xl/worksheets/sheet1.xml": (f'<c r="{cell}">'.encode(), f'<c r="{cell}" t="str">'.encode()),
                          "xl/workbook.xml": (b' fullCalcOnLoad="1"', b"")})


def write_xlsxwriter_like(path: Path) -> None:
    """A workbook as xlsxwriter writes one: formulas saved with 0 as their value, never calculated, and the workbook
    asking Excel to calculate them when opened (<calcPr fullCalcOnLoad="1">)."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["客户名称", "当前阶段", "进入阶段时间", "预估金额（万）"])
    workbook.active.append(["苏州一号", "意向", datetime(2025, 3, 5), 10])      # row 2 loads
    workbook.active.append(["苏州二号", "意向", datetime(2025, 3, 5), "=D2*2"])  # row 3: saved as 0, not calculated
    workbook.save(path)
    _rewrite_parts(path, {"xl/worksheets/sheet1.xml": (b"<f>D2*2</f><v />", b"<f>D2*2</f><v>0</v>")})


COMMA_MAPPING = """
comma_deals:
  files: ["comma_*.csv"]
  entity: deals
  table: comma_deals
  key: [deal_id]
  decimal_separator: ","
  fields:
    deal_id: {type: text, required: true, aliases: [Deal ID]}
    amount:  {type: amount, aliases: [Amount]}
"""
COMMA_FILE = 'Deal ID,Amount\nC-1,"12,3万"\nC-2,"1.234,5"\nC-3,"1,234.5"\nC-4,"1.234.567,89"\n'

DEALS = next(spec for spec in OBJECT_SPECS if spec.object_type == "deals")


def deal(oid: str, **properties: Any) -> dict[str, Any]:
    return {"id": oid, "properties": {"dealname": f"deal {oid}", "amount": "100", "createdate": "2025-01-02T09:00:00Z",
                                      **properties},
            "createdAt": "2025-01-02T09:00:00Z", "updatedAt": "2025-01-03T09:00:00Z", "archived": False}


HUBSPOT_OBJECTS: list[Any] = [
    deal("1"),                                                          # loads
    deal("2", amount="12345678901234567890"),                           # 20 digits fit decimal(38,9): loads
    deal("3", amount="1e308"),
    deal("4", amount="NaN"),
    deal("5", closedate="0001-01-01T00:00:00Z"),
    {**deal("6"), "createdAt": "9999-12-31T23:59:59.999Z"},
    deal("7", amount="0.1234567890123"),                                # rounded to decimal(38,9)'s 9 places
    {**deal("8"), "properties": ["amount", "100"]},
    {**deal("9"), "associations": {"contacts": {"results": 5}}},        # an unforeseen shape: TypeError
    deal("10", dealname={"text": "a dict"}),
    {**deal("x"), "id": "abc"},
    "not an object",
]


def hubspot_source(objects: list[Any], recon: Reconciliation) -> Any:
    """The real HubSpot deal loader (source._object_loader) fed one page of objects, with no HTTP."""

    @dlt.source(name="hubspot", max_table_nesting=1)
    def source() -> Any:
        declare_table(DEALS.table, object_columns(DEALS), primary_key=["id"])
        declare_table(DEALS.history_table, history_columns(DEALS), primary_key=history_key(DEALS))
        feed = dlt.resource(lambda: iter([objects]), name="deals_api", selected=False)
        load = _object_loader(DEALS, recon.tally(DEALS.input_name, "api"))
        return dlt.transformer(load, name="deals", table_name="deals", primary_key="id", write_disposition="merge",
                               data_from=feed)

    return source()


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _grow(path: Path, stop: threading.Event) -> None:
    """A file still being written: a line every 50 ms until stopped."""
    with path.open("a", encoding="utf-8") as handle:
        number = 0
        while not stop.is_set():
            number += 1
            handle.write(json.dumps(lead(500 + number)) + "\n")
            handle.flush()
            time.sleep(0.05)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """One ingest of forms and of spreadsheets over the crafted files, one load of the comma entry and one of the
    HubSpot page; a second forms and spreadsheets run once the growing file has stopped."""
    tmp = tmp_path_factory.mktemp("catalogue")
    inputs, outside = tmp / "inputs", tmp / "elsewhere"
    _write(inputs / "forms", FORM_FILES)
    _write(inputs / "spreadsheets", SHEET_FILES)
    write_tracker_xlsx(inputs / "spreadsheets" / "销售跟进表_华东.xlsx")
    write_cut_xlsx(inputs / "spreadsheets" / "销售跟进表_杭州.xlsx")
    write_xlsxwriter_like(inputs / "spreadsheets" / "销售跟进表_苏州.xlsx")
    _write(outside, {"secret.jsonl": jsonl(lead(900)).encode(),
                     "secret.csv": SHEET_FILES["pipeline_export_en_part01.csv"]})
    (inputs / "forms" / "export" / "linked.jsonl").symlink_to(outside / "secret.jsonl")
    (inputs / "spreadsheets" / "pipeline_export_en_part12.csv").symlink_to(outside / "secret.csv")
    (inputs / "spreadsheets" / "deals[").mkdir()
    (inputs / "spreadsheets" / "deals[" / "bold].csv").write_text(EXPORT_HEADER, encoding="utf-8")
    options = IngestOptions(inputs_dir=inputs, warehouse=tmp / "w.duckdb", pipelines_dir=tmp / "pipelines")
    growing, stop = inputs / "forms" / "export" / "growing.jsonl", threading.Event()
    growing.touch()
    writer = threading.Thread(target=_grow, args=(growing, stop))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FUNNELHOUSE_SETTLE_SECONDS", SETTLE)
        writer.start()
        try:
            forms, forms_errors = ingest_source("forms", options)
        finally:
            stop.set()
            writer.join()
        sheets, sheets_errors = ingest_source("spreadsheets", options)
        forms_again, forms_errors_again = ingest_source("forms", options)
        sheets_again, sheets_errors_again = ingest_source("spreadsheets", options)

        comma_root = tmp / "comma"
        _write(comma_root, {"mapping.yaml": COMMA_MAPPING.encode(), "drop/comma_1.csv": COMMA_FILE.encode()})
        recon = Reconciliation("spreadsheets")
        pipeline = make_pipeline("spreadsheets", tmp / "comma.duckdb", tmp / "comma_pipelines")
        source = spreadsheets_source(str(comma_root / "drop"), str(comma_root / "mapping.yaml"), recon)
        comma = run_source("spreadsheets", source, recon, {"comma_deals"}, pipeline)

        recon = Reconciliation("hubspot")
        pipeline = make_pipeline("hubspot", tmp / "hubspot.duckdb", tmp / "hubspot_pipelines")
        hubspot = run_source("hubspot", hubspot_source(HUBSPOT_OBJECTS, recon), recon, {"deals"}, pipeline)
    return SimpleNamespace(
        tmp=tmp, forms=forms, forms_errors=forms_errors, sheets=sheets, sheets_errors=sheets_errors,
        forms_again=forms_again, forms_errors_again=forms_errors_again, sheets_again=sheets_again,
        sheets_errors_again=sheets_errors_again, comma=comma, hubspot=hubspot,
        growing_lines=len(growing.read_text().splitlines()),
    )


def query(runs: SimpleNamespace, warehouse: str, sql: str) -> list[tuple]:
    with duckdb.connect(str(runs.tmp / warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# ---------------------------------------------------------------------------------------------- the catalogue
@dataclass(frozen=True)
class Kind:
    """One kind of bad input: where it is and what must come of it.

    outcome "quarantined": `expected` is (field, reason) of the quarantine row of (input, row);
    "loaded": `expected` is the value of `column` in the row loaded from (input, row);
    "rejected": `expected` is the one-line error of the file (also its quarantine row 0);
    "warning": `expected` is the warning line of the run.
    """

    kind: str
    source: str
    input: str
    row: int
    outcome: str
    expected: Any
    column: str = ""


Q, L, R, W = "quarantined", "loaded", "rejected", "warning"
E2 = "pipeline_export_en_part02.csv"
HX = "销售跟进表_华东.xlsx[进行中]"
HN = "销售跟进表_华南.csv"
CATALOGUE = [
    # ----------------------------------------------------------------------------------------- forms
    Kind("timestamp in year 0001", "forms", "export/bad.jsonl", 1, Q,
         ("submitted_at", f"date '0001-01-01T00:00:00Z' {RANGE}")),
    Kind("timestamp at the 9999 edge (overflows in UTC)", "forms", "export/bad.jsonl", 2, Q,
         ("submitted_at", f"date '9999-12-31T23:00:00-05:00' {RANGE}")),
    Kind("time 1e308", "forms", "export/bad.jsonl", 3, Q,
         ("submitted_at", f"submitted_at: number 1e+308 is not epoch milliseconds (use {FORMATS})")),
    Kind("time NaN", "forms", "export/bad.jsonl", 4, Q,
         ("submitted_at", f"submitted_at: number nan is not epoch milliseconds (use {FORMATS})")),
    Kind("answer that is a JSON object", "forms", "export/bad.jsonl", 5, Q,
         ("email", "email: expected text, got a JSON object")),
    Kind("id that is a JSON array", "forms", "export/bad.jsonl", 6, Q,
         ("submission_id", "submission_id: expected text, got a JSON array")),
    Kind("form that is a JSON object", "forms", "export/bad.jsonl", 7, Q,
         ("form_id", "form_id: expected text, got a JSON object")),
    Kind("JSON nested 40 levels", "forms", "export/bad.jsonl", 8, Q, ("json", TOO_DEEP)),
    Kind("JSON nested 100,000 levels (RecursionError)", "forms", "export/bad.jsonl", 9, Q, ("json", TOO_DEEP)),
    Kind("\\u0000 inside a string", "forms", "export/bad.jsonl", 10, L, "removed 1 NUL byte from the record",
         "data_issues"),
    Kind("date where a time is needed", "forms", "export/bad.jsonl", 11, Q,
         ("submitted_at", f"submitted_at: unparseable timestamp '2025-01-07' (use {FORMATS})")),
    Kind("record that is a JSON array", "forms", "export/bad.jsonl", 12, Q,
         ("payload", "payload: expected a JSON object, got array")),
    Kind("no usable contact", "forms", "export/bad.jsonl", 13, Q, ("email", "invalid email address 'not-an-email'")),
    Kind("time in epoch milliseconds", "forms", "export/bad.jsonl", 14, L,
         datetime(2025, 1, 10, 10, 0, tzinfo=timezone.utc),
         "submitted_at"),
    Kind("duplicate id, other values (across files)", "forms", "export/bad.jsonl", 15, Q,
         ("submission_id", "duplicate submission id 'X-001' with different values than export/all_good.jsonl line 1")),
    Kind("malformed JSON", "forms", "export/bad.jsonl", 16, Q,
         ("json", "malformed JSON: Expecting property name enclosed in double quotes (column 92)")),
    Kind("NUL byte in the raw line", "forms", "export/bad.jsonl", 17, L,
         "removed 1 NUL byte from the record", "data_issues"),
    Kind("line not UTF-8 (Latin-1)", "forms", "export/bad.jsonl", 18, Q, ("json", "line is not valid UTF-8 text")),
    Kind("truncated last line", "forms", "export/bad.jsonl", 19, Q,
         ("json", "truncated: the last line ends mid-record")),
    Kind("empty file", "forms", "export/empty.jsonl", 0, R, "export/empty.jsonl: file is empty"),
    Kind("link out of the drop folder", "forms", "export/linked.jsonl", 0, R, f"export/linked.jsonl: {OUTSIDE_LINK}"),
    Kind("file still being written", "forms", "export/growing.jsonl", 0, W,
         "forms: export/growing.jsonl is still being written (its size or time changed while waiting for it to "
         "settle); it will be read on the next run"),
    Kind("Typeform answers as an object", "forms", "typeform/bad.jsonl", 2, Q,
         ("form_response.answers", "form_response.answers: expected a JSON array, got object")),
    Kind("Typeform hidden as a list", "forms", "typeform/bad.jsonl", 3, Q,
         ("form_response.hidden", "form_response.hidden: expected a JSON object, got array")),
    Kind("Typeform fields as a string", "forms", "typeform/bad.jsonl", 4, Q,
         ("form_response.definition.fields", "form_response.definition.fields: expected a JSON array, got string")),
    Kind("Typeform hidden value as an object", "forms", "typeform/bad.jsonl", 5, Q,
         ("form_response.hidden.utm_source", "form_response.hidden.utm_source: expected text, got a JSON object")),
    Kind("truncated .json file", "forms", "typeform/broken.json", 1, Q,
         ("json", "malformed JSON: Expecting value: line 1 column 60 (char 59)")),
    Kind("金数据 entry as a list", "forms", "jinshuju/bad.jsonl", 2, Q,
         ("entry", "entry: expected a JSON object, got array")),
    Kind("金数据 phone object without value", "forms", "jinshuju/bad.jsonl", 3, Q,
         ("entry.field_2", 'entry.field_2: expected text or {"value": ...}, got an object without a value')),
    # ----------------------------------------------------------------------------------------- spreadsheets
    Kind("20-digit amount", "spreadsheets", E2, 2, Q,
         ("Amount (CNY)", f"amount '12345678901234567890' {AMOUNT_TOO_LARGE}")),
    Kind("amount 1e308 as text", "spreadsheets", E2, 3, Q, ("Amount (CNY)", "amount is not a number: '1e308'")),
    Kind("amount NaN as text", "spreadsheets", E2, 4, Q, ("Amount (CNY)", "amount is not a number: 'NaN'")),
    Kind("date in year 0001", "spreadsheets", E2, 5, Q, ("Stage Entered", f"date '0001-01-01' {RANGE}")),
    Kind("date in year 9999", "spreadsheets", E2, 6, Q, ("Stage Entered", f"date '9999-12-31' {RANGE}")),
    Kind("31 February", "spreadsheets", E2, 7, Q,
         ("Stage Entered", "unparseable date '02/31/2025' (use 2024-03-05, 2024/3/5 or 2024年3月5日)")),
    Kind("negative amount", "spreadsheets", E2, 8, Q, ("Amount (CNY)", "amount is negative: '-100'")),
    Kind("unknown stage", "spreadsheets", E2, 9, Q,
         ("Stage", "unknown stage 'Discovery' for stage_source export_en: add a row "
                   f"'export_en,Discovery,<stage_code>' to {STAGE_MAP}")),
    Kind("other currency's sign ($)", "spreadsheets", E2, 10, Q,
         ("Amount (CNY)", "amount is not a number: '$1,200'")),
    Kind("yuan sign (¥)", "spreadsheets", E2, 11, L, Decimal("1200.00"), "amount_cny"),
    Kind("comma that is no thousands separator", "spreadsheets", E2, 12, Q,
         ("Amount (CNY)", f"ambiguous amount '1,25': {AMBIGUOUS_POINT}")),
    Kind("text starting with = (kept raw, neutralised in exports)", "spreadsheets", E2, 13, L,
         '=HYPERLINK("http://x.example")', "account_name"),
    Kind("malformed optional email", "spreadsheets", E2, 14, L, "contact_email: invalid email address 'not-an-email'",
         "data_issues"),
    Kind("duplicate key, other values (across files)", "spreadsheets", E2, 15, Q,
         ("Deal ID", "duplicate key (deal_id='G-1') with different values than pipeline_export_en_part01.csv row 2")),
    Kind("line break inside a quoted cell", "spreadsheets", E2, 17, L, "Two\nlines", "account_name"),
    Kind("spaces around values", "spreadsheets", E2, 19, L, Decimal("100.00"), "amount_cny"),
    Kind("NUL byte in a CSV row", "spreadsheets", E2, 20, L, "Nol byte", "account_name"),
    Kind("trailing totals row", "spreadsheets", E2, 21, Q,
         ("Account Name", "missing required field Account Name (account_name)")),
    Kind("header only", "spreadsheets", "pipeline_export_en_part03.csv", 0, L, (0, 0, 0), "tally"),
    Kind("empty file", "spreadsheets", "pipeline_export_en_part04.csv", 0, R,
         "pipeline_export_en_part04.csv: file is empty"),
    Kind("UTF-8 BOM and CRLF line ends", "spreadsheets", "pipeline_export_en_part05.csv", 2, L,
         "BOM and CRLF", "account_name"),
    Kind("duplicate header (the first column wins)", "spreadsheets", "pipeline_export_en_part06.csv", 2, L,
         "B-21", "deal_id"),
    Kind("wrong encoding (cp1252)", "spreadsheets", "pipeline_export_en_part07.csv", 0, R,
         "pipeline_export_en_part07.csv: file is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8 or GBK"),
    Kind("UTF-16 file", "spreadsheets", "pipeline_export_en_part08.csv", 0, R,
         "pipeline_export_en_part08.csv: file is UTF-16 or binary, not UTF-8 or GBK text; save it as CSV UTF-8"),
    Kind("required column missing", "spreadsheets", "pipeline_export_en_part09.csv", 0, R,
         "pipeline_export_en_part09.csv: header has no column for required field Account Name (account_name); "
         "looked for: Account Name"),
    Kind("no header row", "spreadsheets", "pipeline_export_en_part10.csv", 0, R,
         f"pipeline_export_en_part10.csv: {NO_HEADER}"),
    Kind("wrong delimiter (;)", "spreadsheets", "pipeline_export_en_part11.csv", 0, R,
         f"pipeline_export_en_part11.csv: {NO_HEADER}"),
    Kind("link out of the drop folder", "spreadsheets", "pipeline_export_en_part12.csv", 0, R,
         f"pipeline_export_en_part12.csv: {OUTSIDE_LINK}"),
    Kind("file name with rich markup, no entry", "spreadsheets", "deals[/bold].csv", 0, W,
         "spreadsheets: 1 file matches no entry of mapping.yaml, add an entry for: deals[/bold].csv"),
    Kind("GBK file, Chinese headers, bare 万", "spreadsheets", HN, 2, L, Decimal("355000.00"), "amount_cny"),
    Kind("12,3万 without a decimal-comma rule", "spreadsheets", HN, 3, Q,
         ("预估金额(万)", f"ambiguous amount '12,3万': {AMBIGUOUS_POINT}")),
    Kind("1,250 in 万 (thousands separator)", "spreadsheets", HN, 4, L, Decimal("12500000.00"), "amount_cny"),
    Kind("amount with its own unit (元) in a 万 column", "spreadsheets", HN, 5, L, Decimal("355000.00"), "amount_cny"),
    Kind("duration beyond bigint (optional: nulled, noted)", "spreadsheets", HN, 6, L,
         "previous_stage_days: number '99999999999999999999天' is too large for the warehouse (a 64-bit whole number)",
         "data_issues"),
    Kind("XLSX formula without a saved value", "spreadsheets", HX, 4, Q, ("预估金额（万）", f"formula =D3*2 {FORMULA}")),
    Kind("XLSX error cell #DIV/0!", "spreadsheets", HX, 5, Q, ("预估金额（万）", "amount is not a number: '#DIV/0!'")),
    Kind("XLSX number 1e308", "spreadsheets", HX, 6, Q, ("预估金额（万）", f"amount 1e+308 {AMOUNT_TOO_LARGE}")),
    Kind("XLSX date cell in year 9999", "spreadsheets", HX, 7, Q, ("进入阶段时间", f"date 9999-12-31 00:00:00 {RANGE}")),
    Kind("XLSX merged cell (Excel keeps the value in its first row)", "spreadsheets", HX, 9, L, "李娜", "owner_name"),
    Kind("XLSX damaged part way (sheet XML cut off)", "spreadsheets", "销售跟进表_杭州.xlsx[Sheet]", 4, Q,
         ("file", "the file could not be read past row 3 (ParseError: unclosed token: line 1, column 1150); the rows "
                  "above it are loaded: export or save the file again and drop it again")),
    Kind("XLSX rows before the damage", "spreadsheets", "销售跟进表_杭州.xlsx[Sheet]", 3, L, "杭州1号", "customer_name"),
    Kind("XLSX formula saved as 0 and never calculated (xlsxwriter: fullCalcOnLoad)", "spreadsheets",
         "销售跟进表_苏州.xlsx[Sheet]", 3, Q, ("预估金额（万）", "formula =D2*2 was never calculated (the file asks Excel to "
                                        "calculate it when opened, so its saved value is a placeholder); open and "
                                        "save the file in Excel, then drop it again")),
    Kind("XLSX plain value beside it", "spreadsheets", "销售跟进表_苏州.xlsx[Sheet]", 2, L, "苏州一号", "customer_name"),
    Kind("XLSX formula whose saved result is empty text", "spreadsheets", HX, 10, L, None, "owner_name"),
    Kind("XLSX Excel serial date", "spreadsheets", HX, 9, L, date(2025, 3, 5), "stage_entered_on"),
    Kind("XLSX full-width header, merged title row", "spreadsheets", HX, 3, L, Decimal("100000.00"), "amount_cny"),
    Kind("decimal_separator ',': 12,3万", "comma", "comma_1.csv", 2, L, Decimal("123000.00"), "amount"),
    Kind("decimal_separator ',': 1.234,5", "comma", "comma_1.csv", 3, L, Decimal("1234.50"), "amount"),
    Kind("decimal_separator ',': 1,234.5 is ambiguous", "comma", "comma_1.csv", 4, Q,
         ("Amount", f"ambiguous amount '1,234.5': {AMBIGUOUS_COMMA}")),
    # ----------------------------------------------------------------------------------------- HubSpot
    Kind("HubSpot 20-digit amount (fits decimal(38,9))", "hubspot", "hubspot/deals", 2, L,
         Decimal("12345678901234567890"), "amount"),
    Kind("HubSpot amount 1e308", "hubspot", "hubspot/deals", 3, Q,
         ("amount", "amount 1e308 is too large for the warehouse (at most 29 digits before the decimal point); correct "
                    "it in HubSpot")),
    Kind("HubSpot amount NaN", "hubspot", "hubspot/deals", 4, Q, ("amount", "amount is not a number: 'NaN'")),
    Kind("HubSpot closedate in year 0001", "hubspot", "hubspot/deals", 5, Q,
         ("closedate", f"date '0001-01-01T00:00:00Z' {RANGE}")),
    Kind("HubSpot createdAt at the 9999 edge", "hubspot", "hubspot/deals", 6, Q,
         ("createdAt", f"date '9999-12-31T23:59:59.999Z' {RANGE}")),
    Kind("HubSpot amount finer than 9 decimals", "hubspot", "hubspot/deals", 7, L, Decimal("0.123456789"), "amount"),
    Kind("HubSpot properties as a list", "hubspot", "hubspot/deals", 8, Q,
         ("properties", "properties is not a JSON object")),
    Kind("HubSpot unforeseen shape (TypeError)", "hubspot", "hubspot/deals", 9, Q,
         ("record", "this row could not be read (TypeError: 'int' object is not iterable); correct the row, or report "
                    "it with the raw record if it looks right")),
    Kind("HubSpot property value as an object", "hubspot", "hubspot/deals", 10, Q,
         ("dealname", "property 'dealname' has an unsupported value type dict (expected a string)")),
    # row: the id's stable number (ingestion.common.shaping.stable_number), the same on every run
    Kind("HubSpot id not numeric", "hubspot", "hubspot/deals", 7808549525826226860, Q,
         ("id", "object id is not numeric: 'abc'")),
    Kind("HubSpot record not an object", "hubspot", "hubspot/deals", -12, Q,
         ("record", "expected a JSON object, got str")),
]
WAREHOUSES = {"forms": "w.duckdb", "spreadsheets": "w.duckdb", "comma": "comma.duckdb", "hubspot": "hubspot.duckdb"}
DATASETS = {"forms": "raw_forms", "spreadsheets": "raw_spreadsheets", "comma": "raw_spreadsheets",
            "hubspot": "raw_hubspot"}


def test_the_catalogue_has_40_kinds_or_more() -> None:
    assert len(CATALOGUE) >= 40 and len({kind.kind + kind.source for kind in CATALOGUE}) == len(CATALOGUE)


def _loaded_value(runs: SimpleNamespace, kind: Kind) -> Any:
    dataset, warehouse = DATASETS[kind.source], WAREHOUSES[kind.source]
    if kind.source == "forms":
        where = f"source_file = '{kind.input}' and source_row = {kind.row}"
        return query(runs, warehouse, f"select {kind.column} from {dataset}.form_submissions where {where}")
    if kind.source == "hubspot":
        return query(runs, warehouse, f"select {kind.column} from {dataset}.deals where id = '{kind.row}'")
    file, _, sheet = kind.input.partition("[")
    table = {"comma": "comma_deals", "销售跟进表": "tracker_deals"}.get(kind.source if kind.source == "comma" else
                                                                      file[:5], "export_deals")
    sheet_clause = f" and source_sheet = '{sheet.rstrip(']')}'" if sheet else ""
    return query(runs, warehouse, f"select {kind.column} from {dataset}.{table} where source_file = '{file}' "
                                  f"and source_row = {kind.row}{sheet_clause}")


@pytest.mark.parametrize("kind", CATALOGUE, ids=[f"{kind.source}: {kind.kind}" for kind in CATALOGUE])
def test_each_kind_of_bad_input_has_its_outcome(runs: SimpleNamespace, kind: Kind) -> None:
    dataset, warehouse = DATASETS[kind.source], WAREHOUSES[kind.source]
    quarantined = query(runs, warehouse, f"select row_number, field, reason from {dataset}.quarantine "
                                         f"where input_name = '{kind.input}' order by row_number")
    if kind.outcome == Q:
        assert (kind.row, *kind.expected) in quarantined
    elif kind.outcome == R:
        errors = {"forms": runs.forms_errors, "spreadsheets": runs.sheets_errors}[kind.source]
        assert kind.expected in errors
        assert quarantined == [(0, quarantined[0][1], kind.expected)]
    elif kind.outcome == W:
        warnings = {"forms": runs.forms.warnings, "spreadsheets": runs.sheets.warnings}[kind.source]
        assert kind.expected in warnings
    elif kind.column == "tally":
        tally = next(t for t in runs.sheets.tallies if t.input_name == kind.input)
        assert (tally.rows_read, tally.rows_loaded, tally.rows_quarantined, tally.status) == (*kind.expected, "loaded")
    else:
        assert _loaded_value(runs, kind) == [(kind.expected,)]
        assert kind.row not in [row for row, _, _ in quarantined]


def _tallies(summary) -> dict[str, tuple]:
    return {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined, t.status) for t in summary.tallies}


def test_the_other_files_load_and_every_tally_balances(runs: SimpleNamespace) -> None:
    assert _tallies(runs.forms) == {
        "export/all_good.jsonl": (2, 2, 0, "loaded"),
        "export/bad.jsonl": (19, 3, 16, "loaded"),  # 19 lines; loaded: lines 10, 14 and 17
        "export/empty.jsonl": (0, 0, 0, "rejected"),
        "export/linked.jsonl": (0, 0, 0, "rejected"),
        "typeform/bad.jsonl": (5, 1, 4, "loaded"),
        "typeform/broken.json": (1, 0, 1, "loaded"),
        "jinshuju/bad.jsonl": (3, 1, 2, "loaded"),
    }
    assert _tallies(runs.sheets) == {
        "pipeline_export_en_part01.csv": (2, 2, 0, "loaded"),
        E2: (18, 6, 12, "loaded"),  # 18 records on lines 2-21 (blank 16 not counted, 17-18 is one); loaded: rows
        # 11, 13, 14, 17, 19, 20
        "pipeline_export_en_part03.csv": (0, 0, 0, "loaded"),
        "pipeline_export_en_part04.csv": (0, 0, 0, "rejected"),
        "pipeline_export_en_part05.csv": (1, 1, 0, "loaded"),
        "pipeline_export_en_part06.csv": (1, 1, 0, "loaded"),
        "pipeline_export_en_part07.csv": (0, 0, 0, "rejected"),
        "pipeline_export_en_part08.csv": (0, 0, 0, "rejected"),
        "pipeline_export_en_part09.csv": (0, 0, 0, "rejected"),
        "pipeline_export_en_part10.csv": (0, 0, 0, "rejected"),
        "pipeline_export_en_part11.csv": (0, 0, 0, "rejected"),
        "pipeline_export_en_part12.csv": (0, 0, 0, "rejected"),
        "deals[/bold].csv": (0, 0, 0, "unmapped"),
        HN: (5, 4, 1, "loaded"),
        HX: (8, 4, 4, "loaded"),  # rows 3-10; loaded: 3, 8, 9, 10
        "销售跟进表_杭州.xlsx[Sheet]": (3, 2, 1, "loaded"),  # rows 2, 3 and the failure past row 3
        "销售跟进表_苏州.xlsx[Sheet]": (2, 1, 1, "loaded"),  # row 2 loads, row 3's formula was never calculated
    }
    assert _tallies(runs.comma) == {"comma_1.csv": (4, 3, 1, "loaded")}
    assert _tallies(runs.hubspot) == {"hubspot/deals": (12, 3, 9, "loaded")}
    for summary in (runs.forms, runs.sheets, runs.comma, runs.hubspot, runs.forms_again, runs.sheets_again):
        assert all(t.rows_read == t.rows_loaded + t.rows_quarantined for t in summary.tallies)
    counts = query(runs, "w.duckdb", "select (select count(*) from raw_forms.form_submissions), "
                                     "(select count(*) from raw_spreadsheets.export_deals), "
                                     "(select count(*) from raw_spreadsheets.tracker_deals)")
    # forms: all_good, bad, typeform, jinshuju, then the growing file on the second run; export: part01, 02, 05, 06;
    # tracker: 华南, 华东, 杭州, 苏州
    assert counts == [(2 + 3 + 1 + 1 + runs.growing_lines, 2 + 6 + 1 + 1, 4 + 4 + 2 + 1)]


def test_nul_bytes_in_a_csv_are_noted(runs: SimpleNamespace) -> None:
    tally = next(t for t in runs.sheets.tallies if t.input_name == E2)
    assert tally.detail == "removed 1 NUL byte (the first on line 20)"
    assert f"{E2}: removed 1 NUL byte (the first on line 20); check the row(s) and re-export the file" in \
        runs.sheets.warnings


def test_a_rejected_file_is_reported_on_every_run_and_the_growing_file_is_read_next_run(runs: SimpleNamespace) -> None:
    assert sorted(runs.forms_errors_again) == sorted(runs.forms_errors)
    assert sorted(runs.sheets_errors_again) == sorted(runs.sheets_errors)
    statuses = {t.input_name: t.status for t in runs.forms_again.tallies}
    assert statuses["export/empty.jsonl"] == statuses["export/linked.jsonl"] == "rejected"
    assert statuses["export/all_good.jsonl"] == "unchanged"
    growing = next(t for t in runs.forms_again.tallies if t.input_name == "export/growing.jsonl")
    assert (growing.rows_read, growing.rows_loaded, growing.status) == (runs.growing_lines, runs.growing_lines,
                                                                         "loaded")
    assert not runs.forms_again.warnings


def test_formula_text_is_neutralised_in_the_parquet_export(tmp_path: Path) -> None:
    from funnelhouse.serving import export_parquet

    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.mart_x (owner varchar, note varchar, amount integer)")
        connection.execute("insert into marts.mart_x values ('=HYPERLINK(\"x\")', '+1', -5), ('@SUM(A1)', 'a-b', 3),"
                           " ('-2', null, 0), ('Lena', 'ok', 1)")
        export_parquet(connection, tmp_path / "parquet")
        rows = connection.execute(
            f"select * from read_parquet('{tmp_path / 'parquet' / 'mart_x' / 'mart_x.parquet'}') order by amount"
        ).fetchall()
    assert rows == [("'=HYPERLINK(\"x\")", "'+1", -5), ("'-2", None, 0), ("Lena", "ok", 1), ("'@SUM(A1)", "a-b", 3)]


def test_the_cli_prints_file_names_literally_and_exits_1_on_every_run_while_a_file_is_rejected(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from funnelhouse.cli import app

    drop = tmp_path / "inputs" / "spreadsheets"
    _write(drop, {"pipeline_export_en.csv": SHEET_FILES["pipeline_export_en_part01.csv"],
                  "pipeline_export_en_part04.csv": b"", "deals[/bold].csv": EXPORT_HEADER.encode()})
    args = ["ingest", "spreadsheets", "--inputs", str(tmp_path / "inputs"), "--warehouse", str(tmp_path / "w.duckdb")]
    for run in ("first", "second"):
        result = CliRunner().invoke(app, args, env={"COLUMNS": "250", "FUNNELHOUSE_SETTLE_SECONDS": "0"})
        assert result.exit_code == 1, (run, result.output)
        lines = result.output.splitlines()
        assert "error: pipeline_export_en_part04.csv: file is empty" in lines, run
        assert "warning: spreadsheets: 1 file matches no entry of mapping.yaml, add an entry for: deals[/bold].csv" \
            in lines, run
        row = next(line for line in lines if "deals[/bold].csv" in line and "│" in line)
        assert [cell.strip() for cell in row.split("│")[2:7]] == ["deals[/bold].csv", "0", "0", "0", "unmapped"], run


def test_every_new_kind_of_reason_has_its_fix_in_the_quarantine_listing(runs: SimpleNamespace) -> None:
    from funnelhouse.quarantine import open_quarantine

    groups = open_quarantine(runs.tmp / "w.duckdb")

    def fix(start: str) -> str:
        return next(group.fix for group in groups if group.pattern.startswith(start))

    assert fix("amount '…' is too large").startswith("correct the number in the input (often a typo")
    assert fix("date '…' is outside") == "correct the year in the input (0001 or 9999 is a placeholder, not a date)"
    assert fix("formula =D3*2 has no saved value").startswith("open and save the file in Excel")
    assert fix("ambiguous amount").startswith("write the number without the separator")
    assert fix("JSON nested deeper") == "the record is not a form payload: check the program that wrote the file"
    assert fix("a link to a file outside") == "copy the file into the drop folder; links out of it are not followed"
    assert fix("form_response.hidden: expected a JSON object").startswith("the sender wrote a value")
    assert fix("file is UTF-16") == "save the file as CSV UTF-8"
    hubspot = open_quarantine(runs.tmp / "hubspot.duckdb")
    unforeseen = next(group for group in hubspot if group.pattern.startswith("this row could not be read"))
    assert unforeseen.fix.startswith("correct the row in the input; if it looks right, report it")


def test_a_file_that_cannot_be_opened_is_named_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root every file opens, so the refusal of the operating system is stood in for."""
    from ingestion.common import drop as drop_module

    (tmp_path / "locked.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "open.csv").write_text("y\n", encoding="utf-8")

    def refuse(path: Path) -> str:
        if path.name == "locked.csv":
            raise PermissionError(13, "Permission denied")
        return "sha"

    monkeypatch.setattr(drop_module, "sha256_file", refuse)
    monkeypatch.setenv("FUNNELHOUSE_SETTLE_SECONDS", "0")
    found = list(drop_module.ready_files(tmp_path, sorted(tmp_path.iterdir()), Reconciliation("spreadsheets")))
    assert [str(item) for item in found if not hasattr(item, "sha256")] == [
        "locked.csv: cannot be read (Permission denied); check that the file is there and readable by the user "
        "running funnelhouse"
    ]
    assert [item.name for item in found if hasattr(item, "sha256")] == ["open.csv"]
