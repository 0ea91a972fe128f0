"""Inputs of the variants: the raw files the lower bound reads (with the one-time conversion of what DuckDB cannot
read natively), and the changes of the incremental night (1 % of HubSpot deals edited, a new forms file and a new
part of the English export)."""
from __future__ import annotations

import codecs
import csv
import json
import os
import shutil
import time
from datetime import date, datetime, time as day_time
from pathlib import Path
from typing import Any

from ingestion.common.files import list_files

TRACKER_GLOBS = ("销售跟进表_*.xlsx", "销售跟进表_*.csv")  # the order of ingestion/spreadsheets/mapping.yaml
EXPORT_GLOBS = ("pipeline_export_en.csv", "pipeline_export_en_part*.csv")
HISTORY_GLOBS = ("pipeline_export_en_stage_history.csv", "pipeline_export_en_stage_history_part*.csv")
TRACKER_HEADER = "客户名称"  # the first column of the trackers' header row (title rows sit above it)


def _cell_text(value: Any) -> str:
    """A cell as Excel's "save as CSV" would write it: dates as YYYY-MM-DD, whole numbers without .0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == day_time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def xlsx_to_csv(path: Path, out_dir: Path) -> list[Path]:
    """One UTF-8 CSV per worksheet (<file>.<sheet>.csv), from the header row on; blank rows left out."""
    import openpyxl

    written = []
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()
            target = out_dir / f"{path.name}.{sheet.title}.csv"
            header_seen = False
            with target.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                for cells in sheet.iter_rows(values_only=True):
                    texts = [_cell_text(cell) for cell in cells]
                    if not any(text.strip() for text in texts):
                        continue
                    if not header_seen:
                        if TRACKER_HEADER not in [text.strip() for text in texts]:
                            continue  # a title row
                        header_seen = True
                    writer.writerow(texts)
            if header_seen:
                written.append(target)
            else:
                target.unlink()
    finally:
        workbook.close()
    return written


def is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def gbk_to_utf8(path: Path, out_dir: Path) -> Path:
    target = out_dir / path.name
    with path.open(encoding="gb18030", newline="") as source, target.open("w", encoding="utf-8", newline="") as sink:
        shutil.copyfileobj(source, sink, 1 << 20)
    return target


def prepare_raw_inputs(inputs: Path, prepared: Path) -> dict[str, Any]:
    """The file lists the lower bound (and pandas) read; .xlsx and non-UTF-8 CSV trackers converted into `prepared`.

    Returns {"deal_files", "tracker_files", "tracker_sources", "export_files", "history_files", "converted",
    "convert_seconds"}; tracker_sources are the original files (what pandas reads)."""
    started = time.perf_counter()
    if prepared.exists():
        shutil.rmtree(prepared)
    prepared.mkdir(parents=True)
    sheets = inputs / "spreadsheets"
    trackers: list[Path] = []
    converted: list[dict[str, str]] = []
    tracker_sources = list_files(sheets, TRACKER_GLOBS)
    for path in tracker_sources:
        if path.suffix.lower() == ".xlsx":
            parts = xlsx_to_csv(path, prepared)
            trackers.extend(parts)
            converted.extend({"from": path.name, "to": part.name, "why": "xlsx"} for part in parts)
        elif is_utf8(path):
            trackers.append(path)
        else:
            target = gbk_to_utf8(path, prepared)
            trackers.append(target)
            converted.append({"from": path.name, "to": target.name, "why": "GBK text"})
    lists = {
        "deal_files": sorted((inputs / "crm").glob("deals*.jsonl")),
        "tracker_files": trackers,
        "tracker_sources": tracker_sources,
        "export_files": list_files(sheets, EXPORT_GLOBS),
        "history_files": list_files(sheets, HISTORY_GLOBS),
    }
    empty = [name for name, files in lists.items() if not files]
    if empty:
        raise SystemExit(f"bench: no input files for {', '.join(empty)} under {inputs}; run `funnelhouse generate`")
    result: dict[str, Any] = {name: [str(path) for path in files] for name, files in lists.items()}
    result["converted"] = converted
    result["convert_seconds"] = round(time.perf_counter() - started, 3)
    return result


def link_tree(source: Path, target: Path) -> None:
    """A copy of a folder whose files are hard links (no data copied; new files in the copy stay in the copy)."""
    if target.exists():
        shutil.rmtree(target)

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)


# ------------------------------------------------------------------------------------------ incremental night
def _next_stage_ids(crm_dir: Path) -> dict[tuple[str, str], str]:
    """(pipeline, open stage id) -> the pipeline's next stage (by displayOrder); closed stages have none."""
    pipelines = json.loads((crm_dir / "pipelines.json").read_text(encoding="utf-8"))
    following: dict[tuple[str, str], str] = {}
    for pipeline in pipelines.get("results", []):
        stages = sorted(pipeline.get("stages", []), key=lambda stage: stage.get("displayOrder", 0))
        for current, after in zip(stages, stages[1:]):
            if str((current.get("metadata") or {}).get("isClosed")).lower() != "true":
                following[(str(pipeline["id"]), str(current["id"]))] = str(after["id"])
    return following


def change_hubspot_deals(emulator: Any, crm_dir: Path, share: float) -> dict[str, int]:
    """Edit `share` of the live HubSpot deals through the emulator, as users would: open deals move to the next
    stage (a stage change the history records), closed ones get a corrected amount. Deterministic: every n-th deal."""
    following = _next_stage_ids(crm_dir)
    live: list[dict[str, Any]] = []
    for path in sorted(crm_dir.glob("deals*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    deal = json.loads(line)
                    if not deal.get("archived"):
                        live.append({"id": deal["id"], "properties": deal.get("properties") or {}})
    wanted = max(1, round(len(live) * share))
    step = max(1, len(live) // wanted)
    moved = amended = 0
    for deal in live[::step][:wanted]:
        props = deal["properties"]
        next_stage = following.get((str(props.get("pipeline")), str(props.get("dealstage"))))
        if next_stage:
            emulator.update_object("deals", deal["id"], {"dealstage": next_stage})
            moved += 1
        else:
            amount = float(props.get("amount") or 0) or 10000.0
            emulator.update_object("deals", deal["id"], {"amount": str(int(round(amount * 1.1, -2)))})
            amended += 1
    return {"live_deals": len(live), "changed": moved + amended, "moved_stage": moved, "amount_changed": amended}


def add_forms_file(inputs: Path, share: float) -> dict[str, Any]:
    """A new Typeform drop: `share` of all submissions (at least 10), copies of existing payloads with new tokens."""
    source_files = sorted((inputs / "forms" / "typeform").glob("*.jsonl"))
    total = sum(1 for path in (inputs / "forms").rglob("*.jsonl") for line in path.open("rb") if line.strip())
    wanted = max(10, round(total * share))
    rows: list[str] = []
    for path in reversed(source_files):  # the latest months first
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    payload = json.loads(line)
                    payload["form_response"]["token"] = f"bench-night-{len(rows):07d}"
                except (ValueError, KeyError, TypeError):
                    continue  # the generator's deliberately broken lines
                rows.append(json.dumps(payload, ensure_ascii=False))
                if len(rows) >= wanted:
                    break
        if len(rows) >= wanted:
            break
    target = inputs / "forms" / "typeform" / "form_responses_bench_night.jsonl"
    target.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {"file": target.relative_to(inputs).as_posix(), "rows": len(rows)}


def add_export_part(inputs: Path, deals_total: int, share: float) -> dict[str, Any]:
    """A new part of the English export (+ its stage history part): `share` of all deals (at least 5), copies of
    existing export deals under new Deal IDs."""
    sheets = inputs / "spreadsheets"
    export_files = list_files(sheets, EXPORT_GLOBS)
    history_files = list_files(sheets, HISTORY_GLOBS)
    wanted = max(5, round(deals_total * share))
    with export_files[0].open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [row for _, row in zip(range(wanted), reader)]
    new_id = {row[0]: f"OPP-9{index:07d}" for index, row in enumerate(rows)}
    with history_files[0].open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        history_header = next(reader)
        history = [row for row in reader if row and row[0] in new_id]
    export_target = sheets / "pipeline_export_en_part99.csv"
    history_target = sheets / "pipeline_export_en_stage_history_part99.csv"
    with export_target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([new_id[row[0]], *row[1:]] for row in rows)
    with history_target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(history_header)
        writer.writerows([new_id[row[0]], *row[1:]] for row in history)
    return {
        "files": [export_target.relative_to(inputs).as_posix(), history_target.relative_to(inputs).as_posix()],
        "deals": len(rows),
        "history_rows": len(history),
    }
