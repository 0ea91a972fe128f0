"""Run the whole bench at one scale: generate (or reuse) the inputs, run each variant in its own process while
sampling its memory, check the marts against the pipeline's, and return everything as one dict."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import compare, prepare, raw_sql
from bench.memory import wait_sampled

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
TOKEN = "bench-token"
VARIANTS = ("lower_bound", "pipeline_full", "dbt_raw", "floor", "incremental", "pandas")


class BenchError(RuntimeError):
    """A variant failed; the message names it and its log."""


@dataclass
class BenchOptions:
    scale: float = 1.0
    seed: int = 42
    as_of: str = "2026-09-30"
    work_dir: Path | None = None  # default: <data dir>/bench/scale<N> (env FUNNELHOUSE_DATA_DIR)
    results_dir: Path = field(default_factory=lambda: BENCH_DIR / "results")
    incremental_share: float = 0.01  # of the deals changed (and of the deals / leads added) for the incremental night
    regenerate: bool = False  # generate the inputs even when the work folder has them for this seed and scale
    skip: tuple[str, ...] = ()  # variants to leave out: pandas, dbt_raw, floor, incremental

    def resolved_work_dir(self) -> Path:
        if self.work_dir is not None:
            return Path(self.work_dir)
        from funnelhouse import settings

        return settings.data_dir() / "bench" / f"scale{self.scale:g}"


def _say(log: Callable[[str], None] | None, message: str) -> None:
    if log:
        log(message)


def ensure_inputs(options: BenchOptions, inputs: Path) -> dict[str, Any]:
    """Generate the data set into `inputs` unless it is there already for the same seed, scale and as-of day."""
    manifest_path = inputs / "manifest.json"
    if manifest_path.exists() and not options.regenerate:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if (manifest.get("seed"), float(manifest.get("scale", -1)), manifest.get("as_of")) == (
                options.seed, float(options.scale), options.as_of):
            return {"generated": False, "seconds": None, "counts": manifest.get("counts", {})}
    from datetime import date

    from funnelhouse.generate import generate

    if inputs.exists():
        shutil.rmtree(inputs)
    started = time.perf_counter()
    counts = generate(inputs, seed=options.seed, scale=options.scale, as_of=date.fromisoformat(options.as_of))
    return {"generated": True, "seconds": round(time.perf_counter() - started, 3), "counts": counts}


def copy_dbt_project(target: Path) -> Path:
    from funnelhouse.transform import DBT_PROJECT_DIR

    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(DBT_PROJECT_DIR, target, ignore=shutil.ignore_patterns(
        "target", "logs", "dbt_packages", "__pycache__", ".user.yml"))
    return target


def input_sizes(inputs: Path) -> dict[str, Any]:
    sizes: dict[str, dict[str, int]] = {}
    for path in inputs.rglob("*"):
        if path.is_file() and path.name != "manifest.json":
            group = path.relative_to(inputs).parts[0]
            entry = sizes.setdefault(group, {"files": 0, "bytes": 0})
            entry["files"] += 1
            entry["bytes"] += path.stat().st_size
    return sizes


def seed_types(warehouse: Path, project: Path) -> dict[str, list[tuple[str, str]]]:
    """unique_id -> (column, type) of every seed, as dbt created them in the pipeline's warehouse."""
    import duckdb

    nodes = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {uid: raw_sql.seed_columns(connection, node) for uid, node in nodes.items()
                if node["resource_type"] == "seed"}


def run_worker(name: str, spec: dict[str, Any], work: Path, log: Callable[[str], None] | None,
               env_values: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one variant in `python -m bench.worker`, sampling the RSS of its process tree; its result dict.
    `env_values` are set in its environment last (another warehouse kind: bench.kinds)."""
    specs, logs = work / "specs", work / "logs"
    specs.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    out = specs / f"{name}.result.json"
    if out.exists():
        out.unlink()
    spec_path = specs / f"{name}.json"
    spec_path.write_text(json.dumps({**spec, "out": str(out)}, indent=2, default=str), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["FUNNELHOUSE_DATA_DIR"] = str(work / "data")
    for variable in ("FUNNELHOUSE_WAREHOUSE", "FUNNELHOUSE_INPUTS", "FUNNELHOUSE_PIPELINES_DIR"):
        env.pop(variable, None)
    env["FUNNELHOUSE_WAREHOUSE_KIND"] = "duckdb"  # the bench compares DuckDB files
    env.update(env_values or {})
    log_path = logs / f"{name}.log"
    _say(log, f"  {name} ...")
    with log_path.open("wb") as handle:
        process = subprocess.Popen([sys.executable, "-m", "bench.worker", str(spec_path)], cwd=PROJECT_ROOT,
                                   env=env, stdout=handle, stderr=subprocess.STDOUT)
        code, peak, wall = wait_sampled(process)
    result = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"ok": False, "error": "no result"}
    if code != 0 or not result.get("ok"):
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchError(f"bench variant {name} failed (exit {code}): {result.get('error')}\n"
                         f"{result.get('traceback', '')}\nlog {log_path}:\n{tail}")
    own_peak = (result.get("max_rss_bytes") or {}).get("self") or 0
    result.update({
        "process_wall_seconds": round(wall, 3),
        "peak_rss_bytes": max(peak or 0, own_peak) or None,  # sampled tree, or the worker's high-water mark
        "peak_rss_sampled_bytes": peak,
        "log": str(log_path),
    })
    _say(log, f"  {name}: {result['seconds']:.2f} s, CPU {result.get('cpu_seconds') or 0:.2f} s, peak {_mib(peak)}")
    return result


def _mib(value: int | None) -> str:
    return "n/a" if not value else f"{value / 2**20:,.0f} MiB"


def run_bench(options: BenchOptions, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The bench at options.scale: every variant's seconds, steps and peak memory, the equality checks."""
    from emulators.hubspot.server import HubSpotEmulator

    unknown = set(options.skip) - set(VARIANTS)
    if unknown or "lower_bound" in options.skip or "pipeline_full" in options.skip:
        raise BenchError(f"can skip only dbt_raw, floor, incremental, pandas (not {', '.join(sorted(options.skip))})")
    work = options.resolved_work_dir()
    work.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(timezone.utc)
    load_at_start = [round(value, 2) for value in os.getloadavg()] if hasattr(os, "getloadavg") else None
    inputs = work / "inputs"
    _say(log, f"bench at scale {options.scale:g} in {work}")
    generated = ensure_inputs(options, inputs)
    _say(log, "  inputs " + ("generated in {:.1f} s".format(generated["seconds"]) if generated["generated"]
                             else "reused (same seed, scale and as-of day)"))
    raw_inputs = prepare.prepare_raw_inputs(inputs, work / "prepared")
    project = copy_dbt_project(work / "dbt_project")  # the pipeline builds it; the others read its seeds
    seeds_dir = project / "seeds" / "funnel"
    results: dict[str, Any] = {}

    # 1. the lower bound
    (work / "lower_bound").mkdir(exist_ok=True)
    results["lower_bound"] = run_worker("lower_bound", {
        "variant": "lower_bound", "raw_inputs": raw_inputs, "seeds_dir": str(seeds_dir), "as_of": options.as_of,
        "database": str(work / "lower_bound" / "lower_bound.duckdb"),
    }, work, log)

    # 2. the pipeline, full refresh, on its own copy of the inputs (the incremental night adds files to it)
    pipeline_dir = work / "pipeline"
    if pipeline_dir.exists():
        shutil.rmtree(pipeline_dir)
    pipeline_dir.mkdir(parents=True)
    pipeline_inputs = pipeline_dir / "inputs"
    prepare.link_tree(inputs, pipeline_inputs)
    warehouse = pipeline_dir / "funnelhouse.duckdb"
    emulator = HubSpotEmulator(pipeline_inputs / "crm", token=TOKEN).start()
    night: dict[str, Any] = {}
    try:
        pipeline_spec = {
            "variant": "pipeline", "inputs_dir": str(pipeline_inputs), "warehouse": str(warehouse),
            "pipelines_dir": str(pipeline_dir / "dlt"), "hubspot_base_url": emulator.base_url,
            "hubspot_token": TOKEN, "as_of": options.as_of, "project_dir": str(project),
            "gx_dir": str(pipeline_dir / "gx"), "full_refresh": True,
        }
        emulator.reset_stats()
        results["pipeline_full"] = run_worker("pipeline_full", pipeline_spec, work, log)
        results["pipeline_full"]["hubspot_requests"] = emulator.stats()
        results["pipeline_full"]["dbt"] = raw_sql.dbt_timing(project)
        compare.snapshot_pipeline_marts(warehouse, pipeline_dir / "marts_full")

        # 3. the SQL dbt ran, run raw on a copy of the warehouse (same file name: the SQL names the database)
        if "dbt_raw" not in options.skip:
            raw_dir = work / "dbt_raw"
            if raw_dir.exists():
                shutil.rmtree(raw_dir)
            raw_dir.mkdir()
            shutil.copy2(warehouse, raw_dir / warehouse.name)
            results["dbt_raw"] = run_worker("dbt_raw", {
                "variant": "dbt_raw", "warehouse_copy": str(raw_dir / warehouse.name), "project_dir": str(project),
            }, work, log)

        # 4. the floor: the same inputs and HubSpot pages (before the night changes them), the same compiled SQL
        if "floor" not in options.skip:
            emulator.reset_stats()
            results["floor"] = run_worker("floor", {
                "variant": "floor", "inputs_dir": str(pipeline_inputs), "work_dir": str(work / "floor" / "work"),
                "database": str(work / "floor" / warehouse.name), "project_dir": str(project),
                "seeds_dir": str(seeds_dir), "seed_types": seed_types(warehouse, project),
                "hubspot_base_url": emulator.base_url, "hubspot_token": TOKEN,
            }, work, log)
            results["floor"]["hubspot_requests"] = emulator.stats()
            results["floor"]["raw_comparison"] = compare.compare_raw(warehouse, work / "floor" / warehouse.name)

        # 5. the incremental night: 1 % of the HubSpot deals edited, a new forms file, a new export part
        if "incremental" not in options.skip:
            deals_total = int(generated["counts"].get("deals") or 0)
            night = {
                "hubspot": prepare.change_hubspot_deals(emulator, pipeline_inputs / "crm", options.incremental_share),
                "forms": prepare.add_forms_file(pipeline_inputs, options.incremental_share),
                "spreadsheets": prepare.add_export_part(pipeline_inputs, deals_total, options.incremental_share),
            }
            emulator.reset_stats()
            results["incremental"] = run_worker(
                "incremental", {**pipeline_spec, "full_refresh": False, "changed_only": True}, work, log)
            results["incremental"]["hubspot_requests"] = emulator.stats()
            results["incremental"]["dbt"] = raw_sql.dbt_timing(project)
            results["incremental"]["changes"] = night
    finally:
        emulator.stop()

    # 6. pandas
    if "pandas" not in options.skip:
        results["pandas"] = run_worker("pandas", {
            "variant": "pandas", "raw_inputs": raw_inputs, "seeds_dir": str(seeds_dir), "as_of": options.as_of,
            "out_dir": str(work / "pandas"),
        }, work, log)

    # 7. the same numbers?
    _say(log, "  comparing the marts with the pipeline's ...")
    expected = compare.relations_from_parquet(pipeline_dir / "marts_full")
    equality = {"lower_bound": compare.compare(
        expected, compare.relations_from_database("lb"), {"lb": work / "lower_bound" / "lower_bound.duckdb"})}
    if "floor" in results:
        equality["floor"] = compare.compare(expected, compare.relations_from_warehouse("fl"),
                                            {"fl": work / "floor" / warehouse.name})
    if "pandas" in results:
        equality["pandas"] = compare.compare(expected, compare.relations_from_parquet(work / "pandas"))

    return {
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average_at_start": load_at_start,
        "options": {"scale": options.scale, "seed": options.seed, "as_of": options.as_of,
                    "incremental_share": options.incremental_share, "skipped": list(options.skip),
                    "work_dir": str(work)},
        "inputs": {**generated, "sizes": input_sizes(inputs), "prepared_for_lower_bound": {
            "converted": raw_inputs["converted"], "convert_seconds": raw_inputs["convert_seconds"]}},
        "variants": results,
        "equality": equality,
    }
