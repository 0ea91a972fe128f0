"""Run the suites on the warehouse (a DuckDB file, or the kind FUNNELHOUSE_WAREHOUSE_KIND says); keep the results.

    python -m expectations [--warehouse FILE] [--results-dir DIR] [--as-of YYYY-MM-DD] [suite ...]

Opens the warehouse read-only (not while another process holds it for writing), prints one line per suite and
writes the GX results and index.html. A suite whose table was never loaded (its source is not configured) is
reported as skipped. Exit status 1 when a suite has a failed ERROR expectation.
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from expectations.rules import PROJECT_ROOT


def _data_dir() -> Path:
    return Path(os.environ.get("FUNNELHOUSE_DATA_DIR", PROJECT_ROOT / "data"))


def main(argv: list[str] | None = None) -> int:
    from expectations.suites import SUITES

    parser = argparse.ArgumentParser(prog="python -m expectations", description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", help=f"suite names (default: all): {', '.join(SUITES)}")
    parser.add_argument("--warehouse", type=Path, default=None, help="DuckDB file (default: $FUNNELHOUSE_WAREHOUSE "
                        "or data/funnelhouse.duckdb); Postgres and Spark: their settings")
    parser.add_argument("--results-dir", type=Path, default=None, help="where results go (default data/quality/gx)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: now)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.suites if name not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(unknown)}")

    from expectations.runner import validate
    from funnelhouse.warehouse import current

    warehouse = args.warehouse or Path(os.environ.get("FUNNELHOUSE_WAREHOUSE", _data_dir() / "funnelhouse.duckdb"))
    results_dir = args.results_dir or _data_dir() / "quality" / "gx"
    blocking = False
    with current(duckdb_file=warehouse).connect(read_only=True) as connection:
        for name in args.suites or list(SUITES):
            result = validate(connection, name, as_of=args.as_of, results_dir=results_dir)
            blocking |= result.blocking
            print(result.summary())
    print(f"results: {results_dir / 'index.html'}")
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())
