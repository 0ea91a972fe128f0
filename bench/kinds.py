"""The same generated data on each warehouse kind, side by side: ingestion, dbt build and checks seconds per kind,
dbt's own per-node seconds by layer, the marts' row counts, and an estimate of the Spark cluster at which Spark
overtakes one DuckDB machine, from those per-node costs:

    python -m bench.kinds --scale 250 --kinds duckdb,spark      (scale 250 ≈ 100k deals)

Each kind runs the pipeline variant of the bench (bench.worker) in a process of its own; results go to
bench/results/<time>_kinds_scale<N>.json/.md."""
from __future__ import annotations

import argparse
import json
import statistics
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.runner import BENCH_DIR, TOKEN, BenchOptions, copy_dbt_project, ensure_inputs, run_worker

LAYERS = ("seed", "staging", "intermediate", "marts", "test", "unit_test", "operation")
CLUSTER_DEALS = (100_000, 1_000_000, 10_000_000)


def node_layer(unique_id: str, manifest: dict[str, Any]) -> str:
    """seed, staging, intermediate, marts (models by their folder), test, unit_test or operation."""
    kind = unique_id.split(".")[0]
    if kind == "model":
        return manifest["nodes"][unique_id]["fqn"][1]
    return kind if kind in LAYERS else "operation"


def dbt_layers(project: Path) -> dict[str, dict[str, float]]:
    """Per layer: nodes, seconds (dbt's execution times), the smallest and the median node."""
    target = project / "target"
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    times: dict[str, list[float]] = {}
    for result in results:
        times.setdefault(node_layer(result["unique_id"], manifest), []).append(result.get("execution_time") or 0.0)
    return {layer: {"nodes": len(values), "seconds": round(sum(values), 2), "min": round(min(values), 3),
                    "median": round(statistics.median(values), 3)} for layer, values in sorted(times.items())}


def overtake(duck: dict[str, Any], spark: dict[str, Any], deals: int, cores: int) -> dict[str, Any]:
    """Where Spark catches up with one DuckDB machine, extrapolated linearly from one scale. Each node's time is a
    fixed cost (the smallest node time of its kind: planning, scheduling, the metastore) plus a part proportional
    to the rows; Spark's row part shrinks with the cluster's cores, its fixed part does not; DuckDB keeps this
    machine's cores. Returns, per deal count, the cores Spark needs to build faster (None: never, its fixed
    cost alone is longer)."""
    def split(layers: dict[str, dict[str, float]]) -> tuple[float, float]:
        nodes = sum(v["nodes"] for v in layers.values())
        fixed = sum(v["nodes"] * v["min"] for v in layers.values())
        total = sum(v["seconds"] for v in layers.values())
        return fixed, max(total - fixed, 0.0) if nodes else 0.0

    duck_fixed, duck_rows = split(duck["layers"])
    spark_fixed, spark_rows = split(spark["layers"])
    estimate = {"duckdb_fixed_s": round(duck_fixed, 1), "duckdb_rows_s": round(duck_rows, 1),
                "spark_fixed_s": round(spark_fixed, 1), "spark_rows_s": round(spark_rows, 1), "cores_here": cores,
                "deals_measured": deals, "cores_needed": {}}
    for target in CLUSTER_DEALS:
        factor = target / deals
        duck_time = duck_fixed + duck_rows * factor
        room = duck_time - spark_fixed
        needed = None if room <= 0 else max(cores, int(-(-spark_rows * factor * cores // room)))
        estimate["cores_needed"][str(target)] = {"duckdb_s": round(duck_time), "cores": needed}
    return estimate


def run(scale: float, kinds: list[str], work: Path, log=print) -> dict[str, Any]:
    import os

    from emulators.hubspot.server import HubSpotEmulator

    options = BenchOptions(scale=scale, work_dir=work)
    inputs = work / "inputs"
    generated = ensure_inputs(options, inputs)
    log(f"inputs at scale {scale:g}: {generated['counts'].get('deals', '?')} deals")
    emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()
    measured: dict[str, Any] = {}
    try:
        for kind in kinds:
            place = work / kind
            project = copy_dbt_project(place / "dbt_project")
            spec = {"variant": "pipeline", "inputs_dir": str(inputs), "warehouse": str(place / "funnelhouse.duckdb"),
                    "pipelines_dir": str(place / "dlt"), "hubspot_base_url": emulator.base_url,
                    "hubspot_token": TOKEN, "as_of": options.as_of, "project_dir": str(project),
                    "gx_dir": str(place / "gx"), "full_refresh": True}
            values = {"FUNNELHOUSE_WAREHOUSE_KIND": kind, "FUNNELHOUSE_SPARK_WAREHOUSE": str(place / "spark"),
                      "FUNNELHOUSE_SPARK_METASTORE": str(place / "metastore")}
            result = run_worker(f"kinds_{kind}", spec, work, log, values)
            measured[kind] = {"steps": result.get("steps"), "seconds": result["seconds"],
                              "peak_rss_bytes": result.get("peak_rss_bytes"), "checks": result.get("checks"),
                              "sources": {name: source["rows_loaded"] for name, source in result["sources"].items()},
                              "layers": dbt_layers(project)}
    finally:
        emulator.stop()
    report = {"scale": scale, "deals": generated["counts"].get("deals"), "kinds": measured,
              "cores": os.cpu_count(), "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if "duckdb" in measured and "spark" in measured and report["deals"]:
        report["estimate"] = overtake(measured["duckdb"], measured["spark"], report["deals"], os.cpu_count() or 1)
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# Warehouse kinds at scale {report['scale']:g} ({report['deals']:,} deals), {report['cores']} cores",
             "", "| kind | step | seconds |", "| --- | --- | ---: |"]
    for kind, measured in report["kinds"].items():
        for step, values in (measured["steps"] or {}).items():
            seconds = values.get("seconds") if isinstance(values, dict) else values
            lines.append(f"| {kind} | {step} | {seconds} |")
    lines += ["", "| kind | dbt layer | nodes | seconds | smallest node | median node |",
              "| --- | --- | ---: | ---: | ---: | ---: |"]
    for kind, measured in report["kinds"].items():
        for layer, values in measured["layers"].items():
            lines.append(f"| {kind} | {layer} | {values['nodes']} | {values['seconds']} | {values['min']} | "
                         f"{values['median']} |")
    if "estimate" in report:
        estimate = report["estimate"]
        lines += ["", "Estimate (linear from this scale; each node = fixed cost + a part proportional to rows; "
                  "Spark's row part divides by its cores, DuckDB keeps this machine's): "
                  f"DuckDB fixed {estimate['duckdb_fixed_s']} s + rows {estimate['duckdb_rows_s']} s; Spark fixed "
                  f"{estimate['spark_fixed_s']} s + rows {estimate['spark_rows_s']} s on {estimate['cores_here']} "
                  "cores.", "", "| deals | DuckDB build s | Spark cores to be faster |", "| ---: | ---: | ---: |"]
        for deals, values in estimate["cores_needed"].items():
            cores = values["cores"] if values["cores"] is not None else "never (fixed cost alone is longer)"
            lines.append(f"| {int(deals):,} | {values['duckdb_s']:,} | {cores} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=250.0)
    parser.add_argument("--kinds", default="duckdb,spark")
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    from funnelhouse import settings

    work = args.work_dir or settings.data_dir() / "bench" / f"kinds_scale{args.scale:g}"
    report = run(args.scale, [kind.strip() for kind in args.kinds.split(",") if kind.strip()], work)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results = BENCH_DIR / "results"
    (results / f"{stamp}_kinds_scale{args.scale:g}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (results / f"{stamp}_kinds_scale{args.scale:g}.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
