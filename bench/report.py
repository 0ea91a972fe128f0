"""The bench's results as ratios against the goals, a printed table, and the JSON and Markdown files."""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

GIB = 2**30
MIB = 2**20
PEAK_GOAL_BYTES = int(1.5 * GIB)
PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "dlt", "pandas", "pyarrow", "openpyxl", "httpx", "great-expectations")
LABELS = {
    "lower_bound": "lower bound (SQL on raw files)",
    "pipeline_full": "pipeline, full refresh",
    "dbt_raw": "dbt's SQL run raw",
    "floor": "floor (native readers, bare client, dbt's SQL)",
    "incremental": "incremental night",
    "pandas": "pandas on raw files",
}
STEP_LABELS = {
    "ingest_forms": "ingest forms", "ingest_spreadsheets": "ingest spreadsheets", "ingest_hubspot": "ingest HubSpot",
    "dbt_build": "dbt build", "checks": "checks (GX suites)",
    "hubspot_download": "HubSpot pages, bare client", "load_forms": "forms → raw (read_text + JSON)",
    "load_spreadsheets": "spreadsheets → raw (read_csv, XLSX)", "load_hubspot": "HubSpot pages → raw (read_json)",
    "dbt_sql": "dbt's compiled SQL, one script + tests",
}


# ------------------------------------------------------------------------------------------------ machine
def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": {},
    }
    try:
        meminfo = Path("/proc/meminfo").read_text()
        values = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in meminfo.splitlines() if line.split()[1:]}
        info["memory_bytes"] = values.get("MemTotal")
        info["memory_available_bytes"] = values.get("MemAvailable")
    except (OSError, ValueError, IndexError):
        info["memory_bytes"] = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    for package in PACKAGES:
        try:
            info["packages"][package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info["packages"][package] = None
    try:
        root = Path(__file__).resolve().parents[1]
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                               timeout=10).stdout.strip()
        info["git_commit"] = commit + ("+changes" if dirty else "") if commit else None
    except (OSError, subprocess.SubprocessError):
        info["git_commit"] = None
    return info


# ------------------------------------------------------------------------------------------------ summary
def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return numerator / denominator


def _request_paths(stats: dict[str, Any] | None) -> dict[str, int]:
    """Requests per path from the emulator's stats (every status counted; object ids in a path written {id})."""
    found: dict[str, int] = {}
    for path, counts in ((stats or {}).get("paths") or {}).items():
        key = re.sub(r"/\d+(?=/|$)", "/{id}", path)
        found[key] = found.get(key, 0) + sum(counts.values())
    return dict(sorted(found.items()))


def hubspot_pages(results: dict[str, Any]) -> dict[str, Any]:
    """The HubSpot requests of the full refresh, of the floor's bare client (as the emulator counted them and as the
    client counted its pages) and of the night; the night scaled to 1M deals at the measured rate per deal."""
    variants = results["variants"]
    full, floor, night = variants["pipeline_full"], variants.get("floor"), variants.get("incremental")
    deals = int((results["inputs"].get("counts") or {}).get("deals") or 0)
    full_paths = _request_paths(full.get("hubspot_requests"))
    entry: dict[str, Any] = {"deals_in_inputs": deals, "full_refresh": sum(full_paths.values()),
                             "full_refresh_paths": full_paths}
    if floor:
        floor_paths = _request_paths(floor.get("hubspot_requests"))
        entry.update({"floor": sum(floor_paths.values()), "floor_paths": floor_paths,
                      "floor_client_pages": floor["hubspot_pages"]["requests"],
                      "same_pages": floor_paths == full_paths
                      and floor["hubspot_pages"]["requests"] == sum(full_paths.values())})
    if night:
        night_paths = _request_paths(night.get("hubspot_requests"))
        measured = sum(night_paths.values())
        entry.update({"night": measured, "night_paths": night_paths,
                      "night_per_deal": measured / deals if deals else None,
                      "night_at_1m_deals": round(measured * 1_000_000 / deals) if deals else None})
    return entry


def raw_rows(results: dict[str, Any]) -> dict[str, Any]:
    """The floor's raw tables against the pipeline's (bench/compare.py compare_raw): rows, rows only in one of
    them, columns that differ, per table; the tables that differ."""
    floor = results["variants"].get("floor")
    return (floor or {}).get("raw_comparison") or {}


def _goal(name: str, value: float | None, goal: str, kind: str, limit: float | None, at_most: bool = True,
          note: str = "") -> dict[str, Any]:
    met = None if value is None or limit is None else (value <= limit if at_most else value >= limit)
    return {"ratio": name, "value": value, "goal": goal, "kind": kind, "met": met, "note": note}


def step_peaks(results: dict[str, Any]) -> dict[str, int]:
    """The peak RSS of every step of the pipeline's runs (full refresh and night), "<variant>.<step>" -> bytes."""
    peaks = {}
    for name in ("pipeline_full", "incremental"):
        for step, peak in ((results["variants"].get(name) or {}).get("step_peak_rss_bytes") or {}).items():
            if peak:
                peaks[f"{name}.{step}"] = peak
    return peaks


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    variants = results["variants"]
    full, lower = variants["pipeline_full"], variants["lower_bound"]
    raw, night, pandas = variants.get("dbt_raw"), variants.get("incremental"), variants.get("pandas")
    floor = variants.get("floor")
    deals = lower.get("mart_rows", {}).get("fct_deals")
    share = results["options"].get("incremental_share", 0.01)
    pages = hubspot_pages(results)
    peaks = step_peaks(results)
    peak_step = max(peaks, key=peaks.get) if peaks else None
    floor_download = floor and floor["steps"]["hubspot_download"]
    floor_download_cpu = floor and floor["step_cpu_seconds"]["hubspot_download"]
    scaled_note = ""
    if night and pages.get("deals_in_inputs") and pages["deals_in_inputs"] < 1_000_000:
        scaled_note = (f"{pages['night']:,} requests measured for {pages['deals_in_inputs']:,} deals, "
                       f"× 1,000,000 / {pages['deals_in_inputs']:,}")
    ratios = [
        _goal("full refresh ÷ floor", _ratio(full["seconds"], floor and floor["seconds"]), "≤ 1.5×", "times", 1.5),
        _goal("  the same in CPU seconds", _ratio(full.get("cpu_seconds"), floor and floor.get("cpu_seconds")),
              "(info)", "times", None),
        _goal("full refresh ÷ lower bound", _ratio(full["seconds"], lower["seconds"]), "≤ 10×", "times", 10.0),
        _goal("  the same in CPU seconds", _ratio(full.get("cpu_seconds"), lower.get("cpu_seconds")), "(info)",
              "times", None),
        _goal(f"night with {share * 100:g} % changed ÷ full refresh",
              _ratio(night and night["seconds"], full["seconds"]), "≤ 5 %", "percent", 0.05),
        _goal("pandas ÷ night", _ratio(pandas and pandas["seconds"], night and night["seconds"]), "≥ 10×", "times",
              10.0, at_most=False),
        _goal("HubSpot ingestion ÷ bare client on the same pages",
              _ratio(full["steps"]["ingest_hubspot"], floor_download), "≤ 1.25×", "times", 1.25,
              note="" if not floor else ("same pages" if pages.get("same_pages") else "NOT the same pages")),
        _goal("  the same in CPU seconds", _ratio(full["step_cpu_seconds"]["ingest_hubspot"], floor_download_cpu),
              "(info)", "times", None),
        _goal("HubSpot requests for a night at 1M deals", pages.get("night_at_1m_deals"), "≤ 400", "count", 400,
              note=scaled_note),
        _goal("peak memory of any step", peaks[peak_step] if peak_step else None, "≤ 1.5 GiB", "bytes",
              PEAK_GOAL_BYTES, note=peak_step or ""),
        _goal("dbt build ÷ the same SQL run raw", _ratio(full["steps"]["dbt_build"], raw and raw["seconds"]),
              "(info)", "times", None),
        _goal("  dbt after parsing ÷ raw", _ratio((full.get("dbt") or {}).get("elapsed_seconds"),
                                                   raw and raw["seconds"]), "(info)", "times", None),
    ]
    rows_per_second = {}
    for source, tally in full["sources"].items():
        entry = {"rows_loaded": tally["rows_loaded"], "rows_quarantined": tally["rows_quarantined"],
                 "seconds": tally["seconds"], "rows_per_second": _ratio(tally["rows_loaded"], tally["seconds"])}
        if night:
            later = night["sources"][source]
            entry.update({"incremental_rows_loaded": later["rows_loaded"], "incremental_seconds": later["seconds"],
                          "incremental_rows_per_second": _ratio(later["rows_loaded"], later["seconds"])})
        rows_per_second[source] = entry
    return {
        "deals_in_marts": deals,
        "seconds": {name: v["seconds"] for name, v in variants.items()},
        "cpu_seconds": {name: v.get("cpu_seconds") for name, v in variants.items()},
        "pipeline_steps": full["steps"],
        "pipeline_step_cpu_seconds": full.get("step_cpu_seconds"),
        "incremental_steps": night["steps"] if night else None,
        "floor_steps": floor["steps"] if floor else None,
        "floor_step_cpu_seconds": floor["step_cpu_seconds"] if floor else None,
        "xlsx_reader": floor["xlsx_reader"] if floor else None,
        "peak_rss_bytes": {name: v.get("peak_rss_bytes") for name, v in variants.items()},
        "pipeline_step_peak_rss_bytes": full.get("step_peak_rss_bytes"),
        "step_peak_rss_bytes": peaks,
        "max_rss_bytes_self": {name: (v.get("max_rss_bytes") or {}).get("self") for name, v in variants.items()},
        "hubspot_requests": pages,
        "floor_raw_rows": raw_rows(results),
        "ratios": ratios,
        "rows_per_second": rows_per_second,
        "equal": {name: check["equal"] for name, check in results["equality"].items()},
    }


# ------------------------------------------------------------------------------------------------ formatting
def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


def _mib(value: int | None) -> str:
    return "–" if not value else f"{value / MIB:,.0f}"


def _value(ratio: dict[str, Any]) -> str:
    value = ratio["value"]
    if value is None:
        return "–"
    if ratio["kind"] == "percent":
        return f"{value * 100:.1f} %"
    if ratio["kind"] == "bytes":
        return f"{value / MIB:,.0f} MiB"
    if ratio["kind"] == "count":
        return f"{value:,.0f}"
    return f"{value:.2f}×"


def _met(ratio: dict[str, Any]) -> str:
    return {True: "yes", False: "no", None: "–"}[ratio["met"]]


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def variant_rows(results: dict[str, Any]) -> list[list[str]]:
    """[what, seconds, CPU seconds, process wall, peak RSS MiB, deals/s] per variant and step."""
    deals = results["summary"]["deals_in_marts"]
    rows = []
    for name in ("lower_bound", "pipeline_full", "dbt_raw", "floor", "incremental", "pandas"):
        variant = results["variants"].get(name)
        if not variant:
            continue
        rate = "–" if name == "incremental" else _rate(_ratio(deals, variant["seconds"]))
        rows.append([LABELS[name], _seconds(variant["seconds"]), _seconds(variant.get("cpu_seconds")),
                     _seconds(variant.get("process_wall_seconds")), _mib(variant.get("peak_rss_bytes")), rate])
        steps = list((variant.get("steps") or {}).items())
        peaks = variant.get("step_peak_rss_bytes") or {}
        cpu = variant.get("step_cpu_seconds") or {}
        for index, (step, seconds) in enumerate(steps):
            branch = "└" if index == len(steps) - 1 else "├"
            label = f"  {branch} {STEP_LABELS.get(step, step)}"
            rows.append([label, _seconds(seconds), _seconds(cpu.get(step)), "", _mib(peaks.get(step)), ""])
    return rows


def ratio_rows(results: dict[str, Any]) -> list[list[str]]:
    return [[r["ratio"], _value(r), r["goal"], _met(r), r.get("note", "")] for r in results["summary"]["ratios"]]


def request_rows(results: dict[str, Any]) -> list[list[str]]:
    """[run, requests, per path] for the full refresh, the floor's client and the night."""
    pages = results["summary"]["hubspot_requests"]
    rows = []
    for label, key in (("full refresh (pipeline)", "full_refresh"), ("floor's bare client", "floor"),
                       ("night (pipeline)", "night")):
        if key in pages:
            paths = pages[f"{key}_paths"]
            rows.append([label, f"{pages[key]:,}", ", ".join(f"{path} {count:,}" for path, count in paths.items())])
    return rows


def source_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for source, entry in results["summary"]["rows_per_second"].items():
        rows.append([source, f"{entry['rows_loaded']:,}", _seconds(entry["seconds"]), _rate(entry["rows_per_second"]),
                     f"{entry['incremental_rows_loaded']:,}" if "incremental_rows_loaded" in entry else "–",
                     _seconds(entry.get("incremental_seconds")), _rate(entry.get("incremental_rows_per_second"))])
    return rows


def equality_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, outcome in results["equality"].items():
        checks = outcome["checks"]
        passed = sum(1 for check in checks if check["equal"])
        verdict = "equal" if outcome["equal"] else "DIFFERENT"
        lines.append(f"{LABELS[name]}: {verdict} to the pipeline's marts ({passed}/{len(checks)} checks)")
        for check in checks:
            for difference in check["differences"][:5]:
                lines.append(f"    {check['check']}: {difference}")
    return lines


def raw_rows_line(results: dict[str, Any]) -> list[str]:
    rows = results["summary"].get("floor_raw_rows") or {}
    if not rows:
        return []
    lines = [f"floor's raw tables: {len(rows['tables']) - len(rows['different'])} of {len(rows['tables'])} equal "
             "to the pipeline's, row by row (dlt's own columns and the run's times left out)"]
    for name in rows["different"]:
        entry = rows["tables"][name]
        lines.append(f"    {name}: rows pipeline {entry['pipeline_rows']:,}, floor {entry['floor_rows'] or 0:,}; "
                     + ("missing from the floor" if entry.get("missing") else
                        f"{entry['only_pipeline']:,} only in the pipeline's, {entry['only_floor']:,} only in the "
                        f"floor's; columns differing {', '.join(entry['columns_different']) or 'none'}"))
    return lines


def title(results: dict[str, Any]) -> str:
    machine_info = results["machine"]
    memory = machine_info.get("memory_bytes")
    return (f"funnelhouse bench, scale {results['options']['scale']:g} ({results['summary']['deals_in_marts']:,} deals "
            f"in the marts), {machine_info['cores']} cores, "
            f"{'?' if not memory else f'{memory / GIB:.1f} GiB'} memory")


VARIANT_HEADER = ["variant / step", "seconds", "CPU s", "process s", "peak RSS MiB", "deals/s"]
RATIO_HEADER = ["figure", "value", "goal", "met", "note"]
REQUEST_HEADER = ["HubSpot requests", "requests", "per path"]
SOURCE_HEADER = ["source", "rows full", "s", "rows/s", "rows night", "s", "rows/s"]


def print_tables(results: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    for caption, header, rows in (
        (title(results), VARIANT_HEADER, variant_rows(results)),
        ("The goals of issue 15 (never asserted)", RATIO_HEADER, ratio_rows(results)),
        ("HubSpot requests (as the emulator counted them)", REQUEST_HEADER, request_rows(results)),
        ("Ingestion, rows loaded per second per source", SOURCE_HEADER, source_rows(results)),
    ):
        table = Table(title=caption, title_justify="left")
        for index, name in enumerate(header):
            table.add_column(name, justify="left" if index == 0 else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for line in equality_lines(results) + raw_rows_line(results):
        console.print(line, highlight=False, soft_wrap=True)


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("  ├", "├").replace("  └", "└") or " "

    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    machine_info = results["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in machine_info["packages"].items() if version)
    inputs = results["inputs"]
    converted = inputs["prepared_for_lower_bound"]
    parts = [
        f"# {title(results)}",
        "",
        f"Run {results['started_at']} → {results['finished_at']} on {machine_info.get('cpu', 'unknown CPU')}, "
        f"{machine_info['platform']}, Python {machine_info['python']}; {packages}; "
        f"commit {machine_info.get('git_commit') or 'unknown'}. Seed {results['options']['seed']}, as of "
        f"{results['options']['as_of']}. Load average (1, 5, 15 min) at the start "
        f"{', '.join(str(v) for v in results.get('load_average_at_start') or []) or 'unknown'}, at the end "
        f"{', '.join(str(v) for v in machine_info.get('load_average') or []) or 'unknown'} (other work on the machine "
        "stretches wall seconds, not CPU seconds).",
        "",
        _markdown_table(VARIANT_HEADER, variant_rows(results)),
        "",
        "## The goals of issue 15",
        "",
        _markdown_table(RATIO_HEADER, ratio_rows(results)),
        "",
        "## HubSpot requests",
        "",
        _markdown_table(REQUEST_HEADER, request_rows(results)),
        "",
        "## Ingestion, rows loaded per second per source",
        "",
        _markdown_table(SOURCE_HEADER, source_rows(results)),
        "",
        "## Same numbers?",
        "",
        *[f"- {line.strip()}" for line in equality_lines(results) + raw_rows_line(results)],
        "",
        "## How it was measured",
        "",
        "- Each variant runs in its own process (`python -m bench.worker`); seconds are measured inside it, without "
        "the interpreter's start and imports (the process wall time is shown besides). Peak RSS: the larger of the "
        "largest sum of VmRSS over the process and all its descendants, sampled from /proc every 50 ms, and the "
        "worker's own high-water mark (getrusage ru_maxrss). The pipeline's steps: the peak RSS of the worker within "
        "each step, sampled in the worker (dlt, dbt and GX run in-process).",
        "- Lower bound: `bench/sql/lower_bound.sql`, one DuckDB script from the raw files to the core marts. "
        f"Converted once before the clock starts ({converted['convert_seconds']:.2f} s, not timed): "
        + (", ".join(f"{c['from']} → {c['to']} ({c['why']})" for c in converted["converted"]) or "nothing") + ".",
        "- Pipeline: dlt ingestion of forms, spreadsheets and HubSpot (served by the emulator in the bench process), "
        "`dbt build --full-refresh` of the whole project as the nightly refresh runs it (every seed, model and data "
        "test; dbt's unit tests are left to CI), the GX suites. DuckDB inside dbt is held to "
        "FUNNELHOUSE_DUCKDB_MEMORY_LIMIT (default 1GB) and spills past it. The pipeline does more than the lower "
        "bound: every mart, identity resolution, leads, checks.",
        "- Seconds are wall seconds; CPU seconds are the worker's user + system time (all its threads, DuckDB's "
        "included, and its waited-for children, from getrusage) over the same span. The HubSpot emulator runs in the "
        "bench's own process, so its CPU is in no variant's figure.",
        "- Floor: the pipeline's work by the fastest means at hand, one process (bench/floor.py, "
        "bench/sql/floor_raw.sql): the HubSpot pages of a full extract downloaded by a bare client (httpx, the "
        "listings' chains at once on 4 keep-alive connections; a page is not decoded, its cursor is cut from the "
        "bytes; the emulator's count of its requests is checked against the pipeline's), every forms line read once "
        "by DuckDB (read_text + its JSON parser), the CSVs by read_csv (the GBK tracker decoded to UTF-8 first), the "
        "XLSX workbooks by " + _xlsx_reader(results) + ", the pages by read_json, all parsed and quarantined "
        "column-wise into raw tables with dlt's names, columns and types; then the SQL dbt compiled for the "
        "pipeline's full build (seeds, models, post-hooks) run as one script, and each data test as select count(*). "
        "No GX suites (the pipeline's checks step has no floor counterpart yet).",
        "- HubSpot requests for a night at 1M deals: the night's requests (as the emulator counted them) × 1,000,000 ÷ "
        "the deals of the data set, when the bench ran below 1M deals (the rate per deal, measured).",
        "- dbt raw: the compiled SQL of the same build (run_results.json), run node by node on a copy of the "
        "warehouse: seeds by read_csv, models as create or replace view/table, tests as select count(*).",
        "- Incremental night: 1 % of the HubSpot deals edited through the emulator, a new Typeform file and a new part "
        "of the English export (with its stage history), then ingestion, `dbt build` of what changed as the refresh "
        "runs it (funnelhouse.build_plan: the models below the new loads, incremental from the intermediate layer up; "
        "partial parsing kept from the full build) and checks.",
        "- pandas: the same core marts from the same raw files (read_excel, read_csv with the right encoding, JSON "
        "lines), the rules of the lower bound.",
        "- Equality: the core marts of the lower bound, the floor and pandas against the pipeline's: deals per source, "
        "the overall funnel, stage velocity, stale deals, loss reasons, fct_deals and fct_deal_stage_events row by row. "
        "Not compared: owner, company, person and channel (identity resolution), funnel segments other than overall.",
    ]
    if results["variants"].get("incremental"):
        changes = results["variants"]["incremental"]["changes"]
        parts.append(
            f"- The night's changes: {changes['hubspot']['changed']} HubSpot deals edited "
            f"({changes['hubspot']['moved_stage']} moved a stage), {changes['forms']['rows']} new form submissions, "
            f"{changes['spreadsheets']['deals']} new export deals; its dbt build ran "
            f"{results['variants']['incremental'].get('dbt_nodes_built', '?')} nodes, the full refresh's "
            f"{results['variants']['pipeline_full'].get('dbt_nodes_built', '?')}.")
    return "\n".join(parts) + "\n"


def _xlsx_reader(results: dict[str, Any]) -> str:
    reader = (results["variants"].get("floor") or {}).get("xlsx_reader")
    return "(not run)" if not reader else f"{reader['reader']} ({reader['why']})"


def _without_machine_paths(text: str, results: dict[str, Any]) -> str:
    """The work folder written as `<work>`: result files are shared and committed, machine paths are not."""
    work = str(results["options"].get("work_dir") or "")
    return text.replace(json.dumps(work)[1:-1], "<work>") if work else text


def write(results: dict[str, Any], results_dir: Path) -> tuple[Path, Path]:
    """results_dir/<UTC timestamp>_scale<N>.json and .md (written to .tmp first, then renamed)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    stem = f"{stamp}_scale{results['options']['scale']:g}"
    paths = []
    for suffix, text in ((".json", _without_machine_paths(json.dumps(results, indent=2, ensure_ascii=False,
                                                                     default=str), results)),
                         (".md", markdown(results))):
        path = results_dir / f"{stem}{suffix}"
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        paths.append(path)
    return paths[0], paths[1]
