"""Load one or more sources into the warehouse: the plain-Python entry point used by the CLI and by Dagster."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from funnelhouse import settings
from funnelhouse.warehouse_lock import wait_for_warehouse
from ingestion.common.files import list_files
from ingestion.common.reconcile import Reconciliation
from ingestion.connectors import SOURCES, connector  # SOURCES: read from here by the CLI and preflight
from ingestion.packages import finish_pending
from ingestion.pipeline import LoadSummary, make_pipeline, run_source

# told while a source loads: (source, rows read so far, seconds since it started, whether it has finished)
RowsReport = Callable[[str, int, float, bool], None]


@dataclass
class IngestOptions:
    """Where to read and write; an API source's settings fall back to dlt config/secrets when not given."""

    inputs_dir: Path = field(default_factory=settings.inputs_dir)
    warehouse: Path = field(default_factory=settings.warehouse_path)
    pipelines_dir: Path | None = None  # default: next to the warehouse (settings.pipelines_dir)
    hubspot_base_url: str | None = None
    hubspot_token: str | None = None
    api_settings: dict[str, dict[str, str]] = field(default_factory=dict)  # {source: {setting key: value}}
    progress: str | None = None  # dlt's own progress collector ("log", "tqdm", ...)
    on_rows: RowsReport | None = None  # called every `report_every` seconds while a source loads, and at its end
    report_every: float = 2.0


def _configured(source: str, key: str, given: str | None, secret: bool = False) -> str | None:
    """`given`, else sources.<source>.<key> of dlt's config or secrets (.dlt/*.toml, SOURCES__<SOURCE>__* env)."""
    if given:
        return given
    import dlt

    try:
        value = (dlt.secrets if secret else dlt.config).get(f"sources.{source}.{key}")
    except Exception:  # noqa: BLE001 - an unreadable config is the same as none here
        return None
    return str(value) if value else None


def skip_reason(name: str, options: IngestOptions) -> str:
    """Why source `name` has nothing to run with ("" when it does): a drop folder that is missing or holds no
    file, or an API source without a setting it needs (base URL, token). Said in one line, e.g.
    "hubspot: skipped — ..."."""
    entry = connector(name)
    if entry.kind == "files":
        folder = Path(options.inputs_dir) / name
        if not folder.is_dir() or not list_files(folder, ["**/*"]):
            return f"{name}: skipped — no input files in {folder}"
        return ""
    given = entry.given(options)
    missing = [setting for setting in entry.settings
               if not setting.optional and not _configured(name, setting.key, given.get(setting.key), setting.secret)]
    if missing:
        return (f"{name}: skipped — no {'/'.join(setting.key for setting in missing)} configured (set "
                f"{'; '.join(setting.where(name) for setting in missing)})")
    return ""


def _unmapped_file_warning(options: IngestOptions, summary: LoadSummary, errors: list[str]) -> list[str]:
    """Spreadsheet files no mapping entry matches are a warning listing them, not an error: they are reported
    (and kept in the quarantine as row 0) on every run until mapped. Returns the remaining errors."""
    from ingestion.spreadsheets import load_mapping
    from ingestion.spreadsheets.tables import claim_files

    root = Path(options.inputs_dir) / "spreadsheets"
    mapping = load_mapping()
    _, unmapped = claim_files(root, mapping)
    names = {path.relative_to(root).as_posix() for path in unmapped}
    if not names:
        return errors
    for tally in summary.tallies:
        if tally.input_name in names:
            tally.status = "unmapped"
    summary.warnings.append(
        f"spreadsheets: {len(names)} file{'s match' if len(names) > 1 else ' matches'} no entry of "
        f"{mapping.path.name}, add an entry for: {', '.join(sorted(names))}"
    )
    return [message for message in errors if message.split(": ", 1)[0] not in names]


@contextmanager
def _rows_watch(name: str, recon: Reconciliation, report: RowsReport | None, every: float) -> Iterator[None]:
    """Tell `report` the rows read so far every `every` seconds (from a thread: the source runs in this one), and
    once more when the source has finished."""
    if report is None:
        yield
        return
    started, stop = time.monotonic(), threading.Event()

    def rows_read() -> int:
        return sum(tally.rows_read for tally in list(recon.tallies.values()))

    def watch() -> None:
        while not stop.wait(every):
            report(name, rows_read(), time.monotonic() - started, False)

    watcher = threading.Thread(target=watch, name=f"{name} progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
        report(name, rows_read(), time.monotonic() - started, True)


def ingest_source(name: str, options: IngestOptions | None = None) -> tuple[LoadSummary, list[str]]:
    """Load one source into `raw_<name>`; returns its summary and the one-line errors of files rejected whole.
    A source with nothing to run with (skip_reason) is not run: its summary says why in `skipped`."""
    options = options or IngestOptions()
    reason = skip_reason(name, options)
    if reason:
        return LoadSummary(name, [], skipped=reason), []
    wait_for_warehouse(options.warehouse)  # held by a reader: wait (FUNNELHOUSE_WAREHOUSE_LOCK_WAIT), then name it
    recon = Reconciliation(name)
    pipeline = make_pipeline(name, options.warehouse, options.pipelines_dir, options.progress)
    # what a killed run left loads first: aborting a poisoned package rewinds the state the source reads
    warnings = finish_pending(pipeline, name)
    # built after its pipeline exists: the HubSpot source reads the pipeline's cursors to choose list vs. search
    entry = connector(name)
    source, entity_tables = entry.build(options, recon), entry.entity_tables()
    with _rows_watch(name, recon, options.on_rows, options.report_every):
        summary = run_source(name, source, recon, entity_tables, pipeline)
    if settings.warehouse_kind() == "spark":  # the loaded files, as tables and views of current rows in Spark
        from funnelhouse.warehouse.spark_raw import register

        register(pipeline)
    summary.warnings[:0] = warnings
    errors = list(recon.errors)
    summary.warnings.extend(recon.warnings)  # files left for the next run, NUL bytes removed
    if name == "spreadsheets":
        errors = _unmapped_file_warning(options, summary, errors)
    return summary, errors


def ingest(names: Iterable[str], options: IngestOptions | None = None) -> tuple[list[LoadSummary], list[str]]:
    """Load several sources in order; file-level errors are collected, never stop the other sources."""
    summaries, errors = [], []
    for name in names:
        summary, source_errors = ingest_source(name, options)
        summaries.append(summary)
        errors.extend(source_errors)
    return summaries, errors
