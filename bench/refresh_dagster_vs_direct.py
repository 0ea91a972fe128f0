"""Time the refresh (load every source, dbt build, checks) through Dagster against the same steps called directly.

    .venv/bin/python bench/refresh_dagster_vs_direct.py [--scale 1]

Each path runs on its own fresh data folder twice: a first load into an empty warehouse, then a re-run with nothing
new. Direct = ingestion.run.ingest + transform.dbt_build + the GX suites, in this process. Prints seconds and the
ratio Dagster / direct."""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

AS_OF = "2026-09-30"
TOKEN = "bench-token"


def direct(data: Path, base_url: str) -> float:
    import duckdb

    from expectations import SUITES, validate
    from funnelhouse.transform import dbt_build
    from ingestion.run import SOURCES, IngestOptions, ingest

    started = time.perf_counter()
    options = IngestOptions(inputs_dir=data / "inputs", warehouse=data / "funnelhouse.duckdb",
                            hubspot_base_url=base_url, hubspot_token=TOKEN)
    ingest(SOURCES, options)
    dbt_build(options.warehouse, as_of=AS_OF)
    with duckdb.connect(str(options.warehouse)) as connection:
        for suite in SUITES.values():
            validate(connection, suite, as_of=None, results_dir=data / "quality" / "gx")
    return time.perf_counter() - started


def through_dagster(data: Path, base_url: str) -> float:
    from orchestration.refresh import run_refresh
    from orchestration.resources import FunnelhouseResource

    resource = FunnelhouseResource(warehouse=str(data / "funnelhouse.duckdb"), inputs_dir=str(data / "inputs"),
                                   as_of=AS_OF, hubspot_base_url=base_url, hubspot_token=TOKEN)
    started = time.perf_counter()
    outcome = run_refresh(resource, log_file=data / "refresh.log")
    if not outcome.success:
        raise SystemExit(f"refresh failed: {outcome.error}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    from emulators.hubspot.server import HubSpotEmulator
    from funnelhouse.generate import generate

    root = Path(tempfile.mkdtemp(prefix="funnelhouse-bench-"))
    template = root / "inputs"
    generate(template, seed=42, scale=args.scale)
    results: dict[str, list[float]] = {}
    for name, run in (("direct", direct), ("dagster", through_dagster)):
        data = root / name
        shutil.copytree(template, data / "inputs")
        os.environ["FUNNELHOUSE_DATA_DIR"] = str(data)
        emulator = HubSpotEmulator(data / "inputs" / "crm", token=TOKEN).start()
        try:
            results[name] = [run(data, emulator.base_url), run(data, emulator.base_url)]
        finally:
            emulator.stop()
    for label, index in (("first load", 0), ("re-run, nothing new", 1)):
        d, g = results["direct"][index], results["dagster"][index]
        print(f"{label:22s} direct {d:6.1f} s   dagster {g:6.1f} s   ratio {g / d:4.2f}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
