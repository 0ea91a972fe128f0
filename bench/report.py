"""The bench's results as ratios against the goals, a printed table, and the JSON and Markdown files."""
from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

GIB = 2**30
MIB = 2**20
PEAK_GOAL_BYTES = 2 * GIB
PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "dlt", "pandas", "pyarrow", "openpyxl", "great-expectations")
LABELS = {
    "lower_bound": "lower bound (SQL on raw files)",
    "pipeline_full": "pipeline, full refresh",
    "dbt_raw": "dbt's SQL run raw",
    "incremental": "incremental night",
    "pandas": "pandas on raw files",
}
STEP_LABELS = {
    "ingest_forms": "ingest forms", "ingest_spreadsheets": "ingest spreadsheets", "ingest_hubspot": "ingest HubSpot",
    "dbt_build": "dbt build", "checks": "checks (GX suites)",
}


# ------------------------------------------------------------------------------------------------ machine
def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
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


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    variants = results["variants"]
    full, lower = variants["pipeline_full"], variants["lower_bound"]
    raw, night, pandas = variants.get("dbt_raw"), variants.get("incremental"), variants.get("pandas")
    deals = lower.get("mart_rows", {}).get("fct_deals")
    pipeline_peak = max(v["peak_rss_bytes"] or 0 for v in (full, night) if v) or None
    ratios = [
        {"ratio": "pipeline ÷ lower bound", "value": _ratio(full["seconds"], lower["seconds"]), "goal": "≤ 3×",
         "kind": "times", "met": None},
        {"ratio": "dbt build ÷ the same SQL run raw",
         "value": _ratio(full["steps"]["dbt_build"], raw and raw["seconds"]), "goal": "≤ 1.5×", "kind": "times",
         "met": None},
        {"ratio": "  dbt after parsing ÷ raw", "value": _ratio(
            (full.get("dbt") or {}).get("elapsed_seconds"), raw and raw["seconds"]), "goal": "(info)",
         "kind": "times", "met": None},
        {"ratio": "incremental ÷ full refresh", "value": _ratio(night and night["seconds"], full["seconds"]),
         "goal": "≤ 5 %", "kind": "percent", "met": None},
        {"ratio": "pandas ÷ pipeline", "value": _ratio(pandas and pandas["seconds"], full["seconds"]),
         "goal": "> 1× (pipeline faster)", "kind": "times", "met": None},
        {"ratio": "peak memory of the pipeline", "value": pipeline_peak, "goal": "≤ 2 GiB", "kind": "bytes",
         "met": None},
    ]
    limits = [3.0, 1.5, "info", 0.05, None, PEAK_GOAL_BYTES]
    for ratio, limit in zip(ratios, limits):
        if ratio["value"] is None or limit == "info":
            continue
        ratio["met"] = ratio["value"] > 1 if limit is None else ratio["value"] <= limit
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
        "pipeline_steps": full["steps"],
        "incremental_steps": night["steps"] if night else None,
        "peak_rss_bytes": {name: v.get("peak_rss_bytes") for name, v in variants.items()},
        "pipeline_step_peak_rss_bytes": full.get("step_peak_rss_bytes"),
        "max_rss_bytes_self": {name: (v.get("max_rss_bytes") or {}).get("self") for name, v in variants.items()},
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
    return f"{value:.2f}×"


def _met(ratio: dict[str, Any]) -> str:
    return {True: "yes", False: "no", None: "–"}[ratio["met"]]


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def variant_rows(results: dict[str, Any]) -> list[list[str]]:
    """[what, seconds, process wall, peak RSS MiB, deals/s] per variant and pipeline step."""
    deals = results["summary"]["deals_in_marts"]
    rows = []
    for name in ("lower_bound", "pipeline_full", "dbt_raw", "incremental", "pandas"):
        variant = results["variants"].get(name)
        if not variant:
            continue
        rate = "–" if name == "incremental" else _rate(_ratio(deals, variant["seconds"]))
        rows.append([LABELS[name], _seconds(variant["seconds"]), _seconds(variant.get("process_wall_seconds")),
                     _mib(variant.get("peak_rss_bytes")), rate])
        steps = list((variant.get("steps") or {}).items())
        peaks = variant.get("step_peak_rss_bytes") or {}
        for index, (step, seconds) in enumerate(steps):
            branch = "└" if index == len(steps) - 1 else "├"
            label = f"  {branch} {STEP_LABELS.get(step, step)}"
            rows.append([label, _seconds(seconds), "", _mib(peaks.get(step)), ""])
    return rows


def ratio_rows(results: dict[str, Any]) -> list[list[str]]:
    return [[r["ratio"], _value(r), r["goal"], _met(r)] for r in results["summary"]["ratios"]]


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


def title(results: dict[str, Any]) -> str:
    machine_info = results["machine"]
    memory = machine_info.get("memory_bytes")
    return (f"funnelhouse bench, scale {results['options']['scale']:g} ({results['summary']['deals_in_marts']:,} deals "
            f"in the marts), {machine_info['cores']} cores, "
            f"{'?' if not memory else f'{memory / GIB:.1f} GiB'} memory")


VARIANT_HEADER = ["variant / step", "seconds", "process s", "peak RSS MiB", "deals/s"]
RATIO_HEADER = ["ratio", "value", "goal", "met"]
SOURCE_HEADER = ["source", "rows full", "s", "rows/s", "rows night", "s", "rows/s"]


def print_tables(results: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    for caption, header, rows in (
        (title(results), VARIANT_HEADER, variant_rows(results)),
        ("Ratios (goals from the issue; never asserted)", RATIO_HEADER, ratio_rows(results)),
        ("Ingestion, rows loaded per second per source", SOURCE_HEADER, source_rows(results)),
    ):
        table = Table(title=caption, title_justify="left")
        for index, name in enumerate(header):
            table.add_column(name, justify="left" if index == 0 else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for line in equality_lines(results):
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
        f"{results['options']['as_of']}.",
        "",
        _markdown_table(VARIANT_HEADER, variant_rows(results)),
        "",
        "## Ratios",
        "",
        _markdown_table(RATIO_HEADER, ratio_rows(results)),
        "",
        "## Ingestion, rows loaded per second per source",
        "",
        _markdown_table(SOURCE_HEADER, source_rows(results)),
        "",
        "## Same numbers?",
        "",
        *[f"- {line.strip()}" for line in equality_lines(results)],
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
        "- dbt raw: the compiled SQL of the same build (run_results.json), run node by node on a copy of the "
        "warehouse: seeds by read_csv, models as create or replace view/table, tests as select count(*).",
        "- Incremental night: 1 % of the HubSpot deals edited through the emulator, a new Typeform file and a new part "
        "of the English export (with its stage history), then ingestion, `dbt build` (not a full refresh) and checks.",
        "- pandas: the same core marts from the same raw files (read_excel, read_csv with the right encoding, JSON "
        "lines), the rules of the lower bound.",
        "- Equality: the core marts of the lower bound and of pandas against the pipeline's: deals per source, the "
        "overall funnel, stage velocity, stale deals, loss reasons, fct_deals and fct_deal_stage_events row by row. "
        "Not compared: owner, company, person and channel (identity resolution), funnel segments other than overall.",
    ]
    if results["variants"].get("incremental"):
        changes = results["variants"]["incremental"]["changes"]
        parts.append(
            f"- The night's changes: {changes['hubspot']['changed']} HubSpot deals edited "
            f"({changes['hubspot']['moved_stage']} moved a stage), {changes['forms']['rows']} new form submissions, "
            f"{changes['spreadsheets']['deals']} new export deals.")
    return "\n".join(parts) + "\n"


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
