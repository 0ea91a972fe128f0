"""Printing for people: reconciliation, refresh, funnel and loss-reason tables, and one-line errors."""
from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingestion.pipeline import LoadSummary, summary_line

# Pipes and CI logs get a wide table instead of rich's 80-column default, so file names are not cut.
console = Console(width=None if sys.stdout.isatty() else 150)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 300)


class IngestProgress:
    """Rows read per source while ingestion runs: a status line redrawn in place on a terminal, else a plain line at
    most every `plain_every` seconds (CI logs, a service manager's journal). Pass its `report` as on_rows."""

    def __init__(self, out: Console, plain_every: float = 10.0) -> None:
        self.out, self.plain_every = out, plain_every
        self.status = None
        self.last_plain = time.monotonic()

    def __enter__(self) -> IngestProgress:
        if self.out.is_terminal:
            self.status = self.out.status("ingesting …")
            self.status.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.status is not None:
            self.status.stop()

    @staticmethod
    def line(source: str, rows: int, seconds: float) -> str:
        """'ingest forms · 120,345 rows read · 12,034 rows/s · 10.0 s'"""
        rate = f" · {rows / seconds:,.0f} rows/s" if rows and seconds > 0 else ""
        return f"ingest {source} · {rows:,} rows read{rate} · {seconds:.1f} s"

    def report(self, source: str, rows: int, seconds: float, done: bool) -> None:
        if self.status is not None:
            self.status.update(escape(self.line(source, rows, seconds)))
        elif not done and time.monotonic() - self.last_plain >= self.plain_every:
            self.last_plain = time.monotonic()
            self.out.print(self.line(source, rows, seconds), markup=False, highlight=False, soft_wrap=True)


def reconciliation_table(summaries: Iterable[LoadSummary]) -> Table:
    """One row per input: rows read = loaded + quarantined, and what happened to it; per source the time taken and
    the rows read per second."""
    table = Table(title="Reconciliation: rows read = loaded + quarantined", title_justify="left")
    for column, justify in [("source", "left"), ("input", "left"), ("read", "right"), ("loaded", "right"),
                            ("quarantined", "right"), ("status", "left")]:
        table.add_column(column, justify=justify, overflow="fold")
    for summary in summaries:
        for tally in summary.tallies:
            table.add_row(summary.source, escape(tally.input_name), f"{tally.rows_read:,}", f"{tally.rows_loaded:,}",
                          f"{tally.rows_quarantined:,}", tally.status)
        read = summary.rows_read
        rate = f", {read / summary.seconds:,.0f} rows/s" if read and summary.seconds > 0 else ""
        table.add_row(f"[bold]{summary.source}[/]", f"[bold]all ({summary.seconds:.1f} s{rate})[/]",
                      f"[bold]{read:,}[/]", f"[bold]{summary.rows_loaded:,}[/]",
                      f"[bold]{summary.rows_quarantined:,}[/]", "", end_section=True)
    return table


def summary_lines(summaries: Iterable[LoadSummary]) -> list[str]:
    """One line per source: "spreadsheets: loaded 14 of 21 rows, quarantined 7 of 21", or why it was skipped; and,
    when rows were quarantined, where to see them."""
    lines = [s.skipped if s.skipped else f"{s.source}: {summary_line(s)}" for s in summaries]
    if any(s.rows_quarantined or any(t.status in ("rejected", "unmapped") for t in s.tallies) for s in summaries):
        lines.append("See what was quarantined, and how to fix it: funnelhouse quarantine")
    return lines


def quarantine_report(groups: list) -> str:
    """The open quarantine as text: one block per reason with its count, an example row and the suggested fix."""
    if not groups:
        return "The quarantine is empty: every row read was loaded."
    total, sources = sum(g.rows for g in groups), sorted({g.source for g in groups})
    lines = [f"Open quarantine: {total} row{'s' if total != 1 else ''} in {', '.join(sources)} "
             f"({len(groups)} reason{'s' if len(groups) != 1 else ''})"]
    for group in groups:
        lines += ["", f"{group.source} · {group.rows} row{'s' if group.rows != 1 else ''} · {group.pattern}",
                  f"  e.g. {group.example}", f"  fix: {group.fix}"]
    return "\n".join(lines)


def asset_status_table(materialized: Iterable[str], skipped: Iterable[str]) -> Table:
    """Each asset of a refresh by group (the first part of its key), materialized or skipped."""
    table = Table(title="Assets", title_justify="left")
    for column, justify in [("group", "left"), ("materialized", "right"), ("skipped", "right"), ("assets", "left")]:
        table.add_column(column, justify=justify, overflow="fold")
    groups: dict[str, dict[str, list[str]]] = {}
    for status, keys in (("materialized", materialized), ("skipped", skipped)):
        for key in keys:
            group, _, name = key.partition("/")
            groups.setdefault(group, {"materialized": [], "skipped": []})[status].append(name)
    for group, names in groups.items():
        shown = ", ".join(names["materialized"]) + "".join(f", [red]{n} (skipped)[/]" for n in names["skipped"])
        table.add_row(group, str(len(names["materialized"])), str(len(names["skipped"])), shown.lstrip(", "))
    return table


def check_table(checks: Iterable) -> Table:
    """Great Expectations checks one by one; dbt tests counted per asset group, failed ones one by one."""
    table = Table(title="Checks", title_justify="left")
    for column, justify in [("check", "left"), ("asset", "left"), ("result", "left"), ("detail", "left")]:
        table.add_column(column, justify=justify, overflow="fold")
    passed_dbt: dict[str, int] = {}
    for check in checks:
        if check.is_gx or not check.passed:
            result = "passed" if check.passed else f"[red]failed ({check.severity})[/]"
            if check.passed and ": skipped — " in check.summary:  # its table was never loaded
                result = "skipped"
            table.add_row(check.check, check.asset, result, re.sub(r"^\S+ on \S+ ", "", check.summary))
        else:
            group = check.asset.split("/")[0]
            passed_dbt[group] = passed_dbt.get(group, 0) + 1
    for group, count in passed_dbt.items():
        table.add_row(f"dbt tests ({count})", f"{group}/*", "passed", "")
    return table


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.1%}"


def funnel_table(stages: Iterable) -> Table:
    """The overall funnel: stage (中文 / English), deals that reached it (and entered it, skipped stages not counted),
    conversion to the next stage and from the top."""
    table = Table(title="Funnel (all deals)", title_justify="left")
    for column in ("stage", "reached", "entered", "→ next stage", "from the top"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage in stages:
        table.add_row(f"{stage.name_zh} {stage.name_en}", f"{stage.reached:,}", f"{stage.entered:,}",
                      _percent(stage.adjacent_conversion_rate), _percent(stage.cumulative_conversion_rate))
    return table


def loss_reason_table(reasons: Iterable) -> Table:
    """The most frequent normalised loss reasons with their share of lost deals and the amount lost."""
    reasons = list(reasons)
    currency = reasons[0].reporting_currency if reasons else "CNY"
    table = Table(title="Top loss reasons", title_justify="left")
    for column in ("reason", "lost deals", "share of lost", f"amount lost ({currency})"):
        table.add_column(column, justify="left" if column == "reason" else "right")
    for reason in reasons:
        table.add_row(f"{reason.name_zh} {reason.name_en}", f"{reason.lost_deals:,}", _percent(reason.share_of_lost),
                      f"{reason.amount_lost_reporting:,.0f}")
    return table


def explain(exc: BaseException) -> str:
    """The root cause of a failure in one line, with what to do (ingestion.common.explain): a locked warehouse
    names the process holding it; a wrapped error (dlt's PipelineStepFailed) shows what it wraps."""
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    from ingestion.common.explain import exception_chain, explain_exception
    from ingestion.connectors import explain_missing_setting

    if any(isinstance(error, ConfigFieldMissingException) for error in exception_chain(exc)):
        message = explain_missing_setting(exc)  # an API source's setting missing when the source was built
        if message:
            return message
    return explain_exception(exc)
