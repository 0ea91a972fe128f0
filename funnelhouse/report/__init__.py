"""The HTML funnel report: one self-contained file (plotly.js inline) drawn from the warehouse's marts."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from funnelhouse import settings

REPORT_NAME = "funnel_report.html"

__all__ = ["REPORT_NAME", "default_report_path", "write_report"]


def default_report_path() -> Path:
    """<data folder>/reports/funnel_report.html."""
    return settings.data_dir() / "reports" / REPORT_NAME


def write_report(warehouse: Path, out: str | Path | None = None, store=None) -> Path:
    """Read the marts of `warehouse` (read-only), write the report to `out` (a file, or a folder to put
    funnel_report.html in; default under the data folder) and return its path. `store`: the warehouse to read
    (funnelhouse.warehouse.Warehouse; default the kind of the settings, on DuckDB the file `warehouse`).

    Raises FunnelhouseError with a one-line message when the warehouse or one of its funnel marts is missing; a
    missing forecast mart only turns the forecast section into a note.
    """
    from funnelhouse.report.page import render_report
    from funnelhouse.report.queries import load_report_data

    warehouse = Path(warehouse)
    from funnelhouse.warehouse import current

    store = store or current(duckdb_file=warehouse)
    data = load_report_data(warehouse, store)
    source = warehouse.name if store.is_file else f"{store.kind} {store.describe()}"
    text = render_report(data, generated_at=datetime.now().astimezone(), source=source)
    target = _target(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)  # a reader never sees half a report
    return target


def _target(out: str | Path | None) -> Path:
    """A folder (one that exists, or a name ending in a slash, created) gets funnel_report.html; else a file."""
    if out is None:
        return default_report_path()
    folder = str(out).endswith(("/", os.sep))
    out = Path(out)
    return out / REPORT_NAME if folder or out.is_dir() else out
