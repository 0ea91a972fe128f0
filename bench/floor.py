"""The floor: the pipeline's work (every input, every model) by the fastest means at hand, as one process.

  hubspot_download   the pages a full HubSpot extract reads, by a bare concurrent client (bench/floor_http.py)
  load_forms         every forms JSONL line read once by DuckDB (read_text + its JSON parser) into raw_forms
  load_spreadsheets  the CSVs by read_csv, the GBK tracker decoded to UTF-8 first, the XLSX workbooks by the fastest
                     reader importable (python-calamine, fastexcel, else openpyxl read-only) into Arrow, then parsed
                     and quarantined column-wise in DuckDB into raw_spreadsheets
  load_hubspot       the downloaded pages by read_json into raw_hubspot
  dbt_sql            the SQL dbt compiled for the pipeline's full build (seeds, models with their post-hooks) run
                     as one script, then each data test as select count(*)
The raw tables carry the names, columns and types dlt gives them (bench/sql/floor_raw.sql), so the compiled SQL runs
unchanged; the marts are compared with the pipeline's (bench/compare.py)."""
from __future__ import annotations

import importlib.util
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import floor_http, lower_bound, prepare, raw_sql
from bench.steps import Steps
from ingestion.common.files import list_files

RAW_SQL = Path(__file__).with_name("sql") / "floor_raw.sql"
FORM_GLOBS = {"typeform": ("typeform/**/*.jsonl",), "jinshuju": ("jinshuju/**/*.jsonl",),
              "export_form": ("export/**/*.jsonl",)}
XLSX_READERS = ("python_calamine", "fastexcel", "openpyxl")


def xlsx_reader() -> dict[str, str]:
    """The fastest XLSX reader importable here, and why it is the one used."""
    for module in XLSX_READERS:
        if importlib.util.find_spec(module) is not None:
            why = "importable" if module != "openpyxl" else (
                "python-calamine and fastexcel are not installed (and the bench installs nothing); openpyxl in "
                "read-only mode is the fastest reader left (DuckDB's excel extension is not installed either)")
            return {"reader": module, "why": why}
    raise RuntimeError("no XLSX reader importable (python-calamine, fastexcel or openpyxl)")


def _sheet_rows(path: Path, reader: str) -> list[tuple[str, list[list[Any]]]]:
    """(sheet name, rows of cell values) per worksheet."""
    if reader == "python_calamine":
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        return [(name, book.get_sheet_by_name(name).to_python()) for name in book.sheet_names]
    if reader == "fastexcel":
        import fastexcel

        book = fastexcel.read_excel(str(path))
        return [(name, book.load_sheet_by_name(name, header_row=None).to_arrow().to_pylist())
                for name in book.sheet_names]
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [(sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)]) for sheet in book.worksheets]
    finally:
        book.close()


def xlsx_table(paths: list[Path], reader: str) -> Any:
    """The trackers' XLSX sheets as one all-text Arrow table: the header row's names, source_file, source_sheet and
    source_row (the sheet's row number); title rows above the header and blank rows left out."""
    import pyarrow as pa

    records: list[dict[str, Any]] = []
    names: dict[str, None] = {}
    for path in paths:
        for sheet, rows in _sheet_rows(path, reader):
            header: list[str] | None = None
            for number, cells in enumerate(rows, start=1):
                texts = [prepare._cell_text(cell).strip() for cell in cells]
                if not any(texts):
                    continue
                if header is None:
                    if prepare.TRACKER_HEADER in texts:
                        header = texts
                        names.update(dict.fromkeys(name for name in header if name))
                    continue
                record: dict[str, Any] = {name: text or None for name, text in zip(header, texts) if name}
                record.update(source_file=path.name, source_sheet=sheet, source_row=number,
                              xlsx_order=len(records) + 1)
                records.append(record)
    schema = pa.schema([*(pa.field(name, pa.string()) for name in names), pa.field("source_file", pa.string()),
                        pa.field("source_sheet", pa.string()), pa.field("source_row", pa.int64()),
                        pa.field("xlsx_order", pa.int64())])
    return pa.Table.from_pylist(records, schema=schema)


def sql_list(paths: list[Path] | list[str]) -> str:
    """An SQL list of paths (an empty list typed, so that `||` still works)."""
    return lower_bound.sql_list([str(p) for p in paths]) if paths else "cast([] as varchar[])"


def sections(values: dict[str, str]) -> dict[str, str]:
    """floor_raw.sql split at its `-- @step <name>` lines, placeholders filled in; the lower bound's helper macros
    go first."""
    script = RAW_SQL.read_text(encoding="utf-8")
    script = re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], script)
    parts = re.split(r"(?m)^-- @step (\w+)\n", script)
    found = {"prelude": lower_bound.helpers() + "\n" + parts[0]}
    found.update(dict(zip(parts[1::2], parts[2::2])))
    return found


def dbt_script(project_dir: Path, seed_types: dict[str, list[list[str]]]) -> tuple[str, list[str], list[str]]:
    """(the seeds and models of the pipeline's last build as one script, the data tests' queries, post-hooks left
    out)."""
    import json

    nodes = json.loads((project_dir / "target" / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    steps, skipped = raw_sql.plan(project_dir)
    schemas = sorted({f'"{node["database"]}"."{node["schema"]}"' for node in nodes.values()
                      if node["resource_type"] in ("model", "seed")})
    statements = [f"create schema if not exists {schema}" for schema in schemas]
    tests = []
    for kind, uid, node_statements in steps:
        if kind == "seed":
            statements.append(raw_sql.seed_sql(nodes[uid], project_dir, seed_types[uid]))
        elif kind == "model":
            statements.extend(node_statements)
        elif kind == "test":
            tests.extend(node_statements)
    return ";\n".join(statements) + ";\n", tests, skipped


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """The floor into spec["database"] (a fresh file named as the pipeline's warehouse: the compiled SQL names it)."""
    import duckdb

    steps = Steps()
    work = Path(spec["work_dir"])
    if work.exists():
        shutil.rmtree(work)
    (work / "decoded").mkdir(parents=True)
    database = Path(spec["database"])
    database.parent.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    inputs = Path(spec["inputs_dir"])
    sheets = inputs / "spreadsheets"
    project = Path(spec["project_dir"])
    reader = xlsx_reader()
    import httpx  # noqa: F401 - imported before the clock starts, as the pipeline's imports are

    steps.start_over()

    with steps.measure("hubspot_download"):
        download = floor_http.download(spec["hubspot_base_url"], spec["hubspot_token"], work / "pages")

    connection = duckdb.connect(str(database))
    try:
        trackers = list_files(sheets, prepare.TRACKER_GLOBS)
        values = {
            **{f"{name}_files": sql_list(list_files(inputs / "forms", globs)) for name, globs in FORM_GLOBS.items()},
            "export_files": sql_list(list_files(sheets, prepare.EXPORT_GLOBS)),
            "history_files": sql_list(list_files(sheets, prepare.HISTORY_GLOBS)),
            "spend_files": sql_list(list_files(sheets, ("marketing_spend.csv",))),
            "pages": str(work / "pages").replace("'", "''"),
            "seeds": str(Path(spec["seeds_dir"])).replace("'", "''"),
            "load_id": datetime.now(timezone.utc).strftime("%s.%f"),
            "tracker_files": "",  # filled in when the GBK files are decoded
        }
        with steps.measure("load_forms"):
            parts = sections(values)
            connection.execute(parts["prelude"])
            connection.execute(parts["forms"])
        with steps.measure("load_spreadsheets"):
            csv_trackers = []
            for path in trackers:
                if path.suffix.lower() == ".csv":
                    csv_trackers.append(path if prepare.is_utf8(path) else prepare.gbk_to_utf8(path, work / "decoded"))
            xlsx_trackers = xlsx_table([p for p in trackers if p.suffix.lower() == ".xlsx"], reader["reader"])
            connection.register("xlsx_trackers", xlsx_trackers)
            values["tracker_files"] = sql_list(csv_trackers)
            connection.execute(sections(values)["spreadsheets"])
        with steps.measure("load_hubspot"):
            connection.execute(parts["hubspot"])
        with steps.measure("dbt_sql"):
            script, tests, skipped_hooks = dbt_script(project, spec["seed_types"])
            connection.execute(script)
            failing = sum(1 for test in tests if connection.execute(test).fetchone()[0] > 0)
        raw_rows = {f"{schema}.{table}": connection.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
                    for schema, table in connection.execute(
                        "select table_schema, table_name from information_schema.tables "
                        "where table_schema like 'raw_%' order by 1, 2").fetchall()}
        quarantined = {schema: connection.execute(f"select count(*) from {schema}.quarantine").fetchone()[0]
                       for schema in ("raw_forms", "raw_spreadsheets", "raw_hubspot")}
    finally:
        connection.close()
    return {
        **steps.stop(),
        "hubspot_pages": download,
        "xlsx_reader": reader,
        "raw_rows": raw_rows,
        "rows_quarantined": quarantined,
        "dbt": {"models": sum(1 for kind, _, _ in raw_sql.plan(project)[0] if kind == "model"),
                "data_tests": len(tests), "failing_tests": failing, "skipped_hooks": skipped_hooks},
        "database": str(database),
    }
