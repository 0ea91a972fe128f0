"""One variant of the bench in its own process, so that its peak memory is its own:

    python -m bench.worker SPEC.json

SPEC.json names the variant (lower_bound, pipeline, dbt_raw, floor, pandas), its inputs and `out`, the JSON file the
result is written to. Seconds are measured in here (the interpreter's start and the imports are not in them;
the runner records the process's wall time besides)."""
from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.memory import own_max_rss_bytes


def run_lower_bound(spec: dict[str, Any]) -> dict[str, Any]:
    from bench import lower_bound

    return lower_bound.run(spec["raw_inputs"], Path(spec["seeds_dir"]), spec["as_of"], Path(spec["database"]))


def run_pipeline(spec: dict[str, Any]) -> dict[str, Any]:
    """Ingestion (each source timed), dbt build (full refresh, or at night only what changed), the GX checks; each
    step's wall and CPU seconds and peak RSS (sampled in this process, which runs dlt, dbt and GX in-process)."""
    from bench.steps import Steps

    steps = Steps()
    started = time.perf_counter()
    from expectations import SUITES, validate
    from funnelhouse.transform import dbt_build
    from funnelhouse.warehouse import current
    from ingestion.run import SOURCES, IngestOptions, ingest_source, skip_reason

    imports = time.perf_counter() - started
    steps.start_over()
    warehouse = Path(spec["warehouse"])
    options = IngestOptions(
        inputs_dir=Path(spec["inputs_dir"]), warehouse=warehouse, pipelines_dir=Path(spec["pipelines_dir"]),
        hubspot_base_url=spec["hubspot_base_url"], hubspot_token=spec["hubspot_token"],
    )
    sources: dict[str, Any] = {}
    file_errors: list[str] = []
    for name in SOURCES:
        if skip_reason(name, options):  # a CRM the bench serves no emulator for (Salesforce): not measured
            continue
        with steps.measure(f"ingest_{name}"):
            summary, errors = ingest_source(name, options)
        file_errors.extend(errors)
        sources[name] = {
            "rows_loaded": summary.rows_loaded,
            "rows_quarantined": summary.rows_quarantined,
            "table_rows": summary.table_rows,
            "inputs_read": sum(1 for t in summary.tallies if t.status != "unchanged"),
            "inputs_unchanged": sum(1 for t in summary.tallies if t.status == "unchanged"),
            "seconds": round(steps.seconds[f"ingest_{name}"], 3),
        }
    with steps.measure("dbt_build"):
        # the night builds as the refresh does: only what is below the new loads (funnelhouse.build_plan)
        built = dbt_build(warehouse, as_of=spec["as_of"], full_refresh=spec["full_refresh"],
                          project_dir=Path(spec["project_dir"]), changed_only=spec.get("changed_only", False))
    suites = []
    with steps.measure("checks"):
        with current(duckdb_file=warehouse).connect(read_only=True) as connection:  # the kind of the env
            for suite in SUITES.values():
                result = validate(connection, suite, as_of=_as_of_end(spec["as_of"]),
                                  results_dir=Path(spec["gx_dir"]))
                suites.append({"suite": result.suite, "rows": result.rows, "success": result.success,
                               "errors": len(result.errors), "warnings": len(result.warnings)})
    return {
        **steps.stop(),
        "import_seconds": round(imports, 3),
        "dbt_nodes_built": len(built),
        "sources": sources,
        "file_errors": file_errors,
        "checks": {
            "suites": len(suites),
            "passed": sum(1 for s in suites if s["success"]),
            "with_errors": [s["suite"] for s in suites if s["errors"]],
            "with_warnings": [s["suite"] for s in suites if s["warnings"]],
        },
    }


def _as_of_end(as_of: str):
    from datetime import date, datetime, time as day_time, timezone

    return datetime.combine(date.fromisoformat(as_of), day_time.max, tzinfo=timezone.utc)


def run_dbt_raw(spec: dict[str, Any]) -> dict[str, Any]:
    from bench import raw_sql

    return raw_sql.run(Path(spec["warehouse_copy"]), Path(spec["project_dir"]))


def run_floor(spec: dict[str, Any]) -> dict[str, Any]:
    from bench import floor

    return floor.run(spec)


def run_pandas(spec: dict[str, Any]) -> dict[str, Any]:
    from bench import pandas_marts

    return pandas_marts.run(spec["raw_inputs"], Path(spec["seeds_dir"]), spec["as_of"], Path(spec["out_dir"]))


VARIANTS = {"lower_bound": run_lower_bound, "pipeline": run_pipeline, "dbt_raw": run_dbt_raw, "floor": run_floor,
            "pandas": run_pandas}


PRELOADED = {"lower_bound": ("duckdb", "bench.lower_bound"), "dbt_raw": ("duckdb", "jinja2", "bench.raw_sql"),
             "pandas": ("duckdb", "pandas", "pyarrow", "bench.pandas_marts")}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    out = Path(spec["out"])
    import importlib

    from bench.steps import cpu_seconds

    try:
        for module in PRELOADED.get(spec["variant"], ()):  # outside the CPU count, as they are outside `seconds`
            importlib.import_module(module)
        cpu = cpu_seconds()
        result = {"ok": True, **VARIANTS[spec["variant"]](spec)}
        result.setdefault("cpu_seconds", round(cpu_seconds() - cpu, 3))  # variants without steps of their own
    except BaseException as error:  # noqa: BLE001 - reported to the runner, which says which variant failed
        result = {"ok": False, "error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
    result["max_rss_bytes"] = own_max_rss_bytes()
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
