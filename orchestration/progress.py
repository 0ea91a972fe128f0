"""Progress of a refresh, fed from Dagster's events while execute_in_process runs: assets done of planned, rows,
elapsed time. A live bar on a terminal; one plain line per asset otherwise (CI logs, a service manager's journal)."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import dagster as dg

# metadata keys that count rows: a source's rows read (its reconciliation asset), a raw table's rows loaded,
# dagster's standard row count, the published serving copy's rows
ROW_KEYS = ("rows_read", "rows_loaded_this_run", "dagster/row_count", "rows")


def _value(metadata: dict[str, Any], key: str) -> Any:
    entry = metadata.get(key)
    return getattr(entry, "value", entry)


def asset_rows(metadata: dict[str, Any]) -> int | None:
    """The row count an asset's materialization reports, or None."""
    for key in ROW_KEYS:
        value = _value(metadata, key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
    return None


def rate_text(rows: int | None, seconds: Any) -> str:
    """', 381 rows/s' when both are known and the time is not zero."""
    if rows and isinstance(seconds, (int, float)) and seconds > 0:
        return f", {rows / seconds:,.0f} rows/s"
    return ""


def progress_line(done: int, total: int, what: str, elapsed: float) -> str:
    """'refresh  12/122 assets · raw_forms/leads · 15 rows · 3.2 s elapsed' (one line, for logs and tests)."""
    return f"refresh {done:>{len(str(total))}}/{total} assets · {what} · {elapsed:.1f} s elapsed"


def asset_text(asset: str, metadata: dict[str, Any]) -> str:
    """'raw_forms/reconciliation · 800 rows, 381 rows/s', 'raw_hubspot/deals · skipped', 'marts/fct_deals'."""
    if _value(metadata, "skipped"):
        return f"{asset} · skipped"
    rows = asset_rows(metadata)
    rate = rate_text(_value(metadata, "rows_read"), _value(metadata, "seconds"))
    return asset + (f" · {rows:,} rows{rate}" if rows is not None else "")


class RefreshProgress:
    """Counts the materializations and failed steps of one run; `on_event` is a Dagster event listener."""

    def __init__(self, total: int, stream: TextIO, live: bool) -> None:
        self.total, self.stream, self.live = total, stream, live
        self.started = time.monotonic()
        self.done = 0
        self.rows = 0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> RefreshProgress:
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("refresh"), BarColumn(), MofNCompleteColumn(), TextColumn("assets"),
                                 TimeElapsedColumn(), TextColumn("{task.description}"),
                                 console=Console(file=self.stream), redirect_stdout=False, redirect_stderr=False,
                                 transient=False)
            self._bar.start()
            self._task = self._bar.add_task("", total=self.total)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._bar is not None:
            self._bar.stop()
        else:
            elapsed = time.monotonic() - self.started
            self.stream.write(f"refresh finished: {self.done}/{self.total} assets materialized · {self.rows:,} rows "
                              f"· {elapsed:.1f} s\n")
            self.stream.flush()

    def _emit(self, line: str, description: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, description=description)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def on_event(self, entry: Any) -> None:
        event = getattr(entry, "dagster_event", None)
        if event is None:
            return
        elapsed = time.monotonic() - self.started
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            metadata = dict(materialization.metadata or {})
            self.done += 1
            if _value(metadata, "rows_read") is None:  # a source's rows are counted once, on its raw tables
                self.rows += asset_rows(metadata) or 0
            what = asset_text(materialization.asset_key.to_user_string(), metadata)
            self._emit(progress_line(self.done, self.total, what, elapsed), what)
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            what = f"step {event.step_key} failed"
            self._emit(progress_line(self.done, self.total, what, elapsed), f"[red]{what}[/]")


@contextmanager
def refresh_progress(instance: dg.DagsterInstance, run_id: str, total: int, stream: TextIO | None = None,
                     live: bool | None = None) -> Iterator[RefreshProgress]:
    """Show the progress of run `run_id` (pass the same id to execute_in_process) on `stream` (default sys.stdout as
    it is now, before any redirection of the run's logs): a listener on `instance`; live when it is a terminal."""
    stream = stream or sys.stdout
    live = stream.isatty() if live is None else live
    with RefreshProgress(total, stream, live) as progress:
        instance.add_event_listener(run_id, progress.on_event)
        yield progress
