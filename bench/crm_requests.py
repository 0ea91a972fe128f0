"""`python -m bench.crm_requests --deals 10000 [--crm zoho ...]`: the requests each CRM source makes, by route, for
a full first load and for an incremental load after ~1 % of the deals changed, against the CRM's emulator on a
generated seed of about N deals; rows loaded and seconds; the requests of a 1M-deal first load against the
vendor's published limits (bench/crm_limits.py). Writes bench/results/<timestamp>_crm_requests.{json,md}.

Each CRM runs the real source as `funnelhouse ingest` does (ingestion.run.ingest_source: production page sizes
and client-side rate limits) into a throwaway DuckDB file. Requests are the emulator's counts (every status).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import crm_limits
from bench.crm_cases import CASES, CrmCase, available, planned_edits
from bench.runner import BENCH_DIR, BenchOptions, ensure_inputs

TARGET_DEALS = 1_000_000
_ID_SEGMENT = re.compile(r"/(?:\d+|(?=[^/]*\d)[^/]{12,})(?=/|$)")  # a record id or a locator, not "v62.0"


def scale_for(case: CrmCase, deals: int) -> float:
    """The generator scale that gives the CRM about `deals` deals (its count at scale 1 is `base_deals`)."""
    return round(deals / case.base_deals, 4)


def routes(stats: dict[str, Any]) -> dict[str, int]:
    """Requests per route (all statuses): the emulator's route counts, else its paths with ids made `{id}`."""
    if stats.get("routes"):
        return {route: sum(by_status.values()) for route, by_status in sorted(stats["routes"].items())}
    totals: dict[str, int] = {}
    for path, by_status in stats.get("paths", {}).items():
        route = _ID_SEGMENT.sub("/{id}", path)
        totals[route] = totals.get(route, 0) + sum(by_status.values())
    return dict(sorted(totals.items()))


def refused(stats: dict[str, Any]) -> dict[str, int]:
    """Answers other than 2xx by status (429s retried, 401s refreshed): {} on a clean run."""
    return {status: n for status, n in sorted(stats.get("statuses", {}).items()) if not status.startswith("2")}


def _load(case: CrmCase, emulator: Any, inputs: Path, run_dir: Path) -> dict[str, Any]:
    """One ingest of the CRM into run_dir/w.duckdb; the emulator's requests of it; its rows and seconds."""
    from ingestion.run import IngestOptions, ingest_source

    emulator.reset_stats()
    options = IngestOptions(inputs_dir=inputs, warehouse=run_dir / "w.duckdb", pipelines_dir=run_dir / "pl",
                            api_settings={case.name: case.settings(emulator)})
    started = time.perf_counter()
    error = None
    try:
        summary, _ = ingest_source(case.name, options)
    except Exception as exc:  # noqa: BLE001 - a failed load is a result of the bench: its one line is reported
        summary, error = None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    seconds = round(time.perf_counter() - started, 2)
    stats = emulator.stats()
    return {"requests": routes(stats), "total": stats.get("total", 0), "refused": refused(stats),
            "seconds": seconds, "error": error,
            "rows_read": summary.rows_read if summary else None,
            "rows_loaded": summary.rows_loaded if summary else None,
            "rows_quarantined": summary.rows_quarantined if summary else None,
            "tables": {t.input_name.split("/", 1)[-1]: t.rows_loaded for t in summary.tallies} if summary else {}}


def _edit(emulator: Any, edits: list[tuple[str, dict[str, Any]]], case: CrmCase) -> None:
    import httpx

    with httpx.Client(base_url=emulator.base_url, timeout=30) as client:
        for deal_id, changes in edits:
            path, body = case.edit(deal_id, changes)
            answer = client.post(path, json=body)
            if answer.status_code >= 300:
                raise RuntimeError(f"{case.name} emulator refused the edit {path}: {answer.status_code} "
                                   f"{answer.text[:200]}")


def run_crm(case: CrmCase, inputs: Path, work: Path, share: float) -> dict[str, Any]:
    """Full load, ~share of the deals edited through the emulator's control route, incremental load."""
    import shutil

    run_dir = work / "runs" / case.name
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    deals = sum(1 for _ in case.deals(inputs))
    edits = planned_edits(case, inputs, share)
    with case.serve(inputs / case.folder).start() as emulator:
        full = _load(case, emulator, inputs, run_dir)
        _edit(emulator, edits, case)
        incremental = _load(case, emulator, inputs, run_dir) if full["error"] is None else None
    shutil.rmtree(run_dir, ignore_errors=True)
    result: dict[str, Any] = {"deals": deals, "changed": len(edits),
                              "stage_moves": sum(case.stage in changes for _, changes in edits),
                              "full": full, "incremental": incremental}
    if full["error"] is None:
        first = crm_limits.extrapolate(full["requests"], incremental and incremental["requests"], deals,
                                       TARGET_DEALS)
        result["million"] = {"requests": sum(first.values()), "by_route": first, **crm_limits.cost(case.name, first)}
    return result


def run(deals: int, crms: list[str], work: Path, seed: int = 42, share: float = 0.01,
        log: Any = print) -> dict[str, Any]:
    """Every CRM of `crms` on its own seed of about `deals` deals (seeds of one scale are generated once)."""
    results: dict[str, Any] = {"options": {"deals": deals, "crms": crms, "seed": seed, "share": share,
                                           "target_deals": TARGET_DEALS, "seats": crm_limits.SEATS},
                               "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "crms": {}}
    for name in crms:
        case = CASES[name]
        scale = scale_for(case, deals)
        inputs = work / f"scale{scale:g}" / "inputs"
        generated = ensure_inputs(BenchOptions(scale=scale, seed=seed), inputs)
        log(f"{name}: scale {scale:g} inputs " + ("generated in {:.0f} s".format(generated["seconds"])
                                                   if generated["generated"] else "reused"))
        results["crms"][name] = {"scale": scale, **run_crm(case, inputs, work, share)}
        full = results["crms"][name]["full"]
        log(f"{name}: full {full['total']} requests in {full['seconds']} s" + (f" FAILED {full['error']}"
                                                                                  if full["error"] else ""))
    from bench.report import machine

    results["machine"] = machine()  # seconds are this machine's (cores, load average at the end)
    return results


# ------------------------------------------------------------------------------------------------ report
def table_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, crm in results["crms"].items():
        full, inc, million = crm["full"], crm["incremental"] or {}, crm.get("million") or {}
        rows.append([name, f"{crm['deals']:,}", f"{full['total']:,}", f"{full['seconds']:g}",
                     "" if full["rows_loaded"] is None else f"{full['rows_loaded']:,}",
                     f"{crm['changed']}", f"{inc.get('total', 0):,}" if inc else "-",
                     f"{inc['seconds']:g}" if inc else "-",
                     "" if not inc or inc.get("rows_loaded") is None else f"{inc['rows_loaded']:,}",
                     f"{million['requests']:,}" if million else "-",
                     f"{million['units']:,} {million['unit']} = {million['days']:g} days" if million else "-",
                     "-" if not million or million["burst_hours"] is None else f"{million['burst_hours']:g} h",
                     full["error"] or (inc.get("error") or "")])
    return rows


HEADER = ["CRM", "deals", "full req", "full s", "full rows", "changed", "incr req", "incr s", "incr rows",
          "1M first-load req", "1M vs daily limit", "1M burst-bound", "error"]


def markdown(results: dict[str, Any]) -> str:
    lines = [f"# CRM source requests at {results['options']['deals']:,} deals per CRM",
             "", f"Started {results['started_at']}; seed {results['options']['seed']}; "
             f"{results['options']['share']:.0%} of the deals changed before the incremental load (alternately a "
             "stage move and an amount edit, through the emulator's control route). Requests: every answer the "
             "emulator counted, all statuses. 1M first load: a route asked at most 3 times, or as often by the "
             "incremental load as by the full one, stays as it is; every other grows with the deals "
             "(x 1,000,000 / deals); against each "
             f"vendor's published limits for an org of {results['options']['seats']} users "
             "(bench/crm_limits.py); burst-bound: the least time the vendor's burst limit allows.", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
    for name, crm in results["crms"].items():
        lines += ["", f"## {name}", "", "| route | full | incremental | 1M first load |", "|---|---|---|---|"]
        inc = (crm["incremental"] or {}).get("requests", {})
        million = (crm.get("million") or {}).get("by_route", {})
        for route in sorted(set(crm["full"]["requests"]) | set(inc)):
            lines.append(f"| `{route}` | {crm['full']['requests'].get(route, 0):,} | {inc.get(route, 0):,} | "
                         f"{million.get(route, 0):,} |")
        if crm.get("million"):
            m = crm["million"]
            lines += ["", f"Limits ({m['plan']}): {m['daily_rule']}; {m['burst_rule']}. Source: {m['source']}"]
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], results_dir: Path) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "_crm_requests"
    json_path, md_path = results_dir / f"{stem}.json", results_dir / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")
    return json_path, md_path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.crm_requests", description=__doc__.split("\n\n")[0])
    p.add_argument("--deals", type=int, default=10_000, help="about this many deals per CRM (default 10,000)")
    p.add_argument("--crm", action="append", choices=sorted(CASES),
                   help="a CRM to run (repeatable; default every one whose source this checkout has)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--share", type=float, default=0.01, help="share of the deals changed before the second load")
    p.add_argument("--work", type=Path, default=None, help="work folder; default <data dir>/bench/crm_requests")
    p.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results", help="default bench/results")
    return p


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    from funnelhouse import settings

    args = parser().parse_args(argv)
    if args.deals <= 0 or not 0 < args.share <= 1:
        print("crm_requests: --deals must be positive and --share in (0, 1]", file=sys.stderr)
        return 2
    work = args.work or settings.data_dir() / "bench" / "crm_requests"
    errors = Console(stderr=True)
    results = run(args.deals, args.crm or available(), work, args.seed, args.share,
                  log=lambda message: errors.print(message, highlight=False, soft_wrap=True))
    table = Table(*HEADER, title=f"CRM source requests at {args.deals:,} deals")
    for row in table_rows(results):
        table.add_row(*row)
    console = Console()
    console.width = max(console.width, 180)
    console.print(table)
    json_path, md_path = write(results, args.results_dir)
    print(f"Results written to {json_path} and {md_path}")
    return 1 if any(crm["full"]["error"] or (crm["incremental"] or {}).get("error")
                    for crm in results["crms"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
