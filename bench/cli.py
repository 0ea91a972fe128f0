"""`python -m bench` and `funnelhouse bench`: run the bench at one scale, print the tables, write the results."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench.runner import BENCH_DIR, BenchError, BenchOptions, run_bench


def run_and_report(options: BenchOptions, console: Any = None) -> dict[str, Any]:
    """Run the bench, print its tables, write results_dir/<timestamp>_scale<N>.json and .md; the results dict (with
    "files": the two paths)."""
    from rich.console import Console

    from bench import report

    console = console or Console()
    errors = Console(stderr=True)
    results = run_bench(options, log=lambda message: errors.print(message, highlight=False, soft_wrap=True))
    results["machine"] = report.machine()
    results["summary"] = report.summarize(results)
    json_path, md_path = report.write(results, Path(options.results_dir))
    results["files"] = {"json": str(json_path), "markdown": str(md_path)}
    report.print_tables(results, console)
    console.print(f"Results written to {json_path} and {md_path}", highlight=False, soft_wrap=True)
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time the pipeline against a hand-written DuckDB lower bound, dbt's own SQL run raw, a "
        "floor (the same work by the fastest means), an incremental night and pandas, on `funnelhouse generate` data; record peak memory; check the marts agree.")
    p.add_argument("--scale", type=float, default=1.0, help="data set size: 1 ≈ 400 deals, 25 ≈ 10k, 2500 ≈ 1M")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--as-of", default="2026-09-30", help="the data's 'today' (generate's --as-of and dbt's as_of)")
    p.add_argument("--work", type=Path, default=None,
                   help="work folder (inputs, warehouses); default <data dir>/bench/scale<N>, data dir = env "
                        "FUNNELHOUSE_DATA_DIR or ./data. Inputs there for the same seed and scale are reused.")
    p.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results", help="default bench/results")
    p.add_argument("--incremental-share", type=float, default=0.01, help="share of deals changed in the night")
    p.add_argument("--regenerate", action="store_true", help="generate the inputs again even if present")
    p.add_argument("--skip", default="", help="comma-separated variants to leave out: dbt_raw, floor, incremental, pandas")
    return p


def options_from(args: argparse.Namespace) -> BenchOptions:
    return BenchOptions(
        scale=args.scale, seed=args.seed, as_of=args.as_of, work_dir=args.work, results_dir=args.results_dir,
        incremental_share=args.incremental_share, regenerate=args.regenerate,
        skip=tuple(name.strip() for name in args.skip.split(",") if name.strip()),
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.scale <= 0:
        print("bench: --scale must be positive", file=sys.stderr)
        return 2
    try:
        run_and_report(options_from(args))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    return 0
