"""Run one dlt source into its raw dataset, reconcile rows read against rows loaded and quarantined, record the tally
(also when the run fails); packages left by a killed run load first, a poisoned one is cleared (ingestion.packages)."""
from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dlt
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.pipeline.exceptions import PipelineStepFailed

from funnelhouse import settings
from ingestion.common.errors import ReconciliationError
from ingestion.common.merge_sql import delete_key_by_key
from ingestion.common.quarantine import QUARANTINE_TABLE, empty_quarantine, heal_quarantine
from ingestion.common.reconcile import RECONCILIATION_TABLE, InputTally, Reconciliation
from ingestion.packages import abort_poisoned, causes, finish_pending, is_poisoned, one_line

delete_key_by_key()  # dlt's merge deletes replaced rows key by key, each a hash join (ingestion/common/merge_sql.py)


@dataclass
class LoadSummary:
    """What one source's run did: per-input tallies, rows per table, the load id and wall time."""

    source: str
    tallies: list[InputTally]
    table_rows: dict[str, int] = field(default_factory=dict)
    load_id: str | None = None
    seconds: float = 0.0
    skipped: str = ""  # why the source was not run (no configuration, no input); empty when it ran
    warnings: list[str] = field(default_factory=list)  # one line each, e.g. files no mapping entry matches

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.tallies)

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tallies)

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tallies)


def summary_line(summary: LoadSummary) -> str:
    """What one source's run did, for people: "loaded 8 of 15 rows, quarantined 7 of 15" — never "loaded" when
    nothing loaded ("quarantined 3 of 3 rows, nothing loaded"); "nothing new to read" when every input was
    unchanged; the reason when the source was skipped."""
    if summary.skipped:
        return summary.skipped
    read, loaded, quarantined = summary.rows_read, summary.rows_loaded, summary.rows_quarantined
    rejected = sum(1 for t in summary.tallies if t.status in ("rejected", "unmapped"))
    files = f", {rejected} input{'s' if rejected > 1 else ''} not read" if rejected else ""
    if read == 0:
        unchanged = sum(1 for t in summary.tallies if t.status == "unchanged")
        return f"nothing new to read ({unchanged} input{'s' if unchanged != 1 else ''} unchanged){files}"
    if loaded == 0:
        return f"quarantined {quarantined:,} of {read:,} rows, nothing loaded{files}"
    text = f"loaded {loaded:,} of {read:,} rows"
    return text + (f", quarantined {quarantined:,} of {read:,}" if quarantined else "") + files


PARALLEL_NORMALIZE_ROWS = 100_000  # rows read past which dlt normalizes with one process per core


def make_pipeline(
    source_name: str,
    warehouse: Path | None = None,
    pipelines_dir: Path | None = None,
    progress: str | None = None,
    kind: str | None = None,
) -> dlt.Pipeline:
    """The pipeline `funnelhouse_<source>` loading the dataset `raw_<source>` of the warehouse: the DuckDB file
    `warehouse`, or the Postgres database of settings.postgres_settings() when `kind` (default
    settings.warehouse_kind()) is postgres, or dlt's filesystem destination at spark_settings().raw_url
    (Parquet files, dlt's default layout `{table_name}/{load_id}.{file_id}.{ext}`) when it is spark.

    On a filesystem destination without table_format, dlt 1.31 loads a merge resource as append: it logs
    "Falling back to `append`" per table, ignores the hard_delete hint (the marker rows are written like
    any other row) and sets no _dlt_root_id on nested tables; the dlt schema keeps the merge hints. The
    current rows are computed on read from those hints by the views of funnelhouse.warehouse.spark_raw
    (registered after each load)."""
    kind = kind or settings.warehouse_kind()
    if kind == "spark":
        _quiet_append_fallback()
        destination = dlt.destinations.filesystem(bucket_url=settings.spark_settings().raw_url)
        pipelines_dir = pipelines_dir or settings.pipelines_dir(kind=kind)
    elif kind == "postgres":
        server = settings.postgres_settings()
        destination = dlt.destinations.postgres(credentials={
            "host": server.host, "port": server.port, "username": server.user, "password": server.password,
            "database": server.database,
        })
        pipelines_dir = pipelines_dir or settings.pipelines_dir(kind=kind)
    else:
        warehouse = Path(warehouse or settings.warehouse_path())
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        credentials = DuckDbCredentials(str(warehouse), global_config=settings.duckdb_config())
        destination = dlt.destinations.duckdb(credentials)
        pipelines_dir = pipelines_dir or settings.pipelines_dir(warehouse, kind=kind)
    return dlt.pipeline(
        pipeline_name=f"funnelhouse_{source_name}",
        destination=destination,
        dataset_name=f"raw_{source_name}",
        pipelines_dir=str(pipelines_dir),
        progress=progress,
    )


class _AppendFallback(logging.Filter):
    """Drops dlt's warnings that a filesystem destination loads merge tables as append (and so ignores their
    hard_delete hint): on kind spark that is the design, not news for the person running `ingest`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Falling back to `append`")
                    or ('"hard_delete" column hint' in message and "will be ignored" in message))


def _quiet_append_fallback() -> None:
    dlt_logger = logging.getLogger("dlt")
    if not any(isinstance(f, _AppendFallback) for f in dlt_logger.filters):
        dlt_logger.addFilter(_AppendFallback())


def loader_file_format(pipeline: dlt.Pipeline) -> str:
    """The file format dlt writes for the pipeline's destination: parquet for DuckDB; insert_values for Postgres.

    dlt 1.31 loads Postgres from insert_values, csv (COPY) or parquet. Parquet needs the ADBC driver
    (adbc-driver-postgresql), not a dependency. csv loads about twice as fast (50,000 rows: 0.55 s against 1.2 s, the
    same 2 s of extract and normalize before), but its writer counts cells as rows (dlt-hub/dlt#4461), which breaks
    the cross-check of normalized rows against the source's tally."""
    return "insert_values" if pipeline.destination.destination_type.endswith(".postgres") else "parquet"


def is_filesystem(pipeline: dlt.Pipeline) -> bool:
    """Whether the pipeline loads files (kind spark) rather than a SQL warehouse."""
    return pipeline.destination.destination_type.endswith(".filesystem")


def normalize_workers(rows: int) -> int:
    """Processes for dlt's normalize step: one per core (at most 4) past PARALLEL_NORMALIZE_ROWS rows read, else
    one (a process pool costs more than it saves on a small load). dlt shares the extracted files among them;
    [data_writer] file_max_items in .dlt/config.toml cuts a large table into several files."""
    return max(1, min(os.cpu_count() or 1, 4)) if rows > PARALLEL_NORMALIZE_ROWS else 1


def run_source(
    source_name: str,
    source: dlt.sources.DltSource,
    reconciliation: Reconciliation,
    entity_tables: set[str],
    pipeline: dlt.Pipeline | None = None,
) -> LoadSummary:
    """Load what an earlier run left pending, then extract, reconcile, normalize and load `source`.

    The tally of this run travels in the load package of its rows, so a load that is killed is tallied when the
    next run loads the package. When the run fails before or while loading, the tally
    is written with status `failed` and the reason. A package that can never load (poisoned) is aborted and
    PoisonedLoadError names its table, file, row and value.

    Raises ReconciliationError when any input's rows read != rows loaded + rows quarantined, or when the rows
    dlt normalized into the entity tables and the quarantine differ from what the source counted.
    """
    pipeline = pipeline or make_pipeline(source_name)
    started = time.perf_counter()
    file_format = loader_file_format(pipeline)
    warnings = finish_pending(pipeline, source_name)
    load_id = None
    try:
        # one package: the source's rows, then its tally (extracted after the source, once every input is read)
        extracted = pipeline.extract([source, tally_resource(reconciliation), empty_quarantine()],
                                     schema=source.schema, loader_file_format=file_format)
        load_id = extracted.loads_ids[-1] if extracted.loads_ids else None
    except Exception as exc:
        if pipeline.has_pending_data:
            pipeline.abort_packages()  # nothing of a failed extract loads; the state rewinds, inputs are read again
        record_failure(pipeline, reconciliation, exc, file_format)
        unreconciled = [e for e in causes(exc) if isinstance(e, ReconciliationError)]
        if unreconciled:
            raise unreconciled[0] from exc
        raise
    try:
        pipeline.normalize(workers=normalize_workers(sum(t.rows_read for t in reconciliation.tallies.values())))
        normalized = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
        # before the load: a run killed between the two leaves the package, which rewrites the rows, to the next run
        if not is_filesystem(pipeline):  # Parquet files are never updated: spark_raw's views heal on read
            with contextlib.suppress(DatabaseUndefinedRelation):  # no quarantine table yet: nothing to heal
                heal_quarantine(pipeline, reread_inputs(reconciliation), load_id)
        pipeline.load()
    except PipelineStepFailed as exc:
        if not is_poisoned(exc):
            raise  # e.g. the warehouse is locked: the packages, tally included, load on the next run
        error = abort_poisoned(pipeline, source_name, exc)
        record_failure(pipeline, reconciliation, error, file_format)
        raise error from exc
    table_rows = {t: n for t, n in normalized.items() if not t.startswith("_dlt") and t != RECONCILIATION_TABLE}
    summary = LoadSummary(source_name, list(reconciliation.tallies.values()), table_rows, load_id, warnings=warnings)
    _cross_check(summary, entity_tables)
    summary.seconds = time.perf_counter() - started
    return summary


def tally_resource(reconciliation: Reconciliation) -> dlt.sources.DltResource:
    """The run's tally as rows of the `reconciliation` table, in the load package of the source's rows; extracted
    after the source, it first checks that every input's rows add up (ReconciliationError, nothing loaded)."""

    @dlt.resource(name=RECONCILIATION_TABLE, write_disposition="append")
    def tally():
        reconciliation.check()
        yield reconciliation.rows(dlt.current.load_package_state()["load_id"])

    return tally()


def record_failure(pipeline: dlt.Pipeline, reconciliation: Reconciliation, error: BaseException,
                   file_format: str) -> None:
    """Append this run's tally with status `failed`, nothing loaded, and the reason in `detail` (one row per input
    read so far, or one row for the run when it failed before reading any). Nothing is written when the warehouse
    itself cannot be written to (the error the run raises says why)."""
    reason = one_line(error)
    rows = [{**row, "rows_loaded": 0, "rows_quarantined": 0, "status": "failed", "detail": reason[:1000]}
            for row in reconciliation.rows(None)]
    if not rows:
        rows = [{**asdict(InputTally(reconciliation.source, "(run)", "run", status="failed", detail=reason[:1000])),
                 "load_id": None, "reconciled_at": datetime.now(timezone.utc)}]
    try:
        # load_id typed: a run failing before any load has none, and dlt would warn about an all-null column
        pipeline.run([dlt.resource(rows, name=RECONCILIATION_TABLE, write_disposition="append",
                                   columns={"load_id": {"data_type": "text"}})],
                     loader_file_format=file_format)
    except Exception:  # noqa: BLE001 - the warehouse cannot be written to: the run's own error is what to report
        if pipeline.has_pending_data:
            pipeline.abort_packages()


def reread_inputs(reconciliation: Reconciliation) -> list[str]:
    """The files read (again) in this run: their quarantine rows from earlier runs are replaced by this run's.
    API inputs (HubSpot) are read incrementally, so their earlier quarantine rows stay until the object changes."""
    return [t.input_name for t in reconciliation.tallies.values() if t.input_kind == "file" and t.status != "unchanged"]


def _cross_check(summary: LoadSummary, entity_tables: set[str]) -> None:
    loaded = sum(summary.table_rows.get(t, 0) for t in entity_tables)
    quarantined = summary.table_rows.get(QUARANTINE_TABLE, 0)
    rejected_files = sum(1 for t in summary.tallies if t.status == "rejected")  # one quarantine row each
    if loaded != summary.rows_loaded or quarantined != summary.rows_quarantined + rejected_files:
        raise ReconciliationError(
            f"{summary.source}: the source counted {summary.rows_loaded} loaded + {summary.rows_quarantined} "
            f"quarantined rows but dlt normalized {loaded} into {sorted(entity_tables)} and {quarantined} into "
            f"{QUARANTINE_TABLE}"
        )
