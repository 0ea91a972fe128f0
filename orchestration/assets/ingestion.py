"""One Dagster multi-asset per dlt source: every raw table the source writes is an asset keyed [raw_<source>, table]."""
import os
from collections.abc import Iterator
from dataclasses import asdict
from datetime import timedelta

import dagster as dg
from dagster_dlt import DagsterDltTranslator, build_dlt_asset_specs
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.common.errors import FunnelhouseError
from ingestion.common.reconcile import RECONCILIATION_TABLE, InputTally, Reconciliation
from ingestion.pipeline import LoadSummary, summary_line
from ingestion.connectors import SOURCES, connector
from ingestion.run import ingest_source
from orchestration.assets.raw_tables import raw_tables
from orchestration.resources import FunnelhouseResource

GROUP = "ingestion"
# A raw table is expected to be loaded every night: late after FRESH_WARN_HOURS, overdue after FRESH_FAIL_HOURS.
FRESH_WARN_HOURS = float(os.environ.get("FUNNELHOUSE_RAW_FRESHNESS_WARN_HOURS", "26"))
FRESH_FAIL_HOURS = float(os.environ.get("FUNNELHOUSE_RAW_FRESHNESS_FAIL_HOURS", "50"))


def freshness_policy() -> dg.FreshnessPolicy:
    return dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=FRESH_FAIL_HOURS), warn_window=timedelta(hours=FRESH_WARN_HOURS)
    )


class RawTableTranslator(DagsterDltTranslator):
    """dlt resource → the asset of the raw table it writes, [raw_<source>, table], with no upstream asset."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=dg.AssetKey([self.dataset, data.resource.table_name]), deps=[], group_name=GROUP
        )


def _source_for_specs(name: str):
    """The dlt source built only to describe its resources (nothing is read)."""
    return connector(name).describe(Reconciliation(name))


def source_specs(name: str) -> list[dg.AssetSpec]:
    """dagster-dlt's specs of the source's resources, plus the raw tables written beside them (child tables,
    stage histories, quarantine, reconciliation) as declared in the dbt sources, so every raw table is an asset."""
    dataset = connector(name).dataset
    declared = raw_tables().get(dataset, {})
    specs: dict[dg.AssetKey, dg.AssetSpec] = {}
    try:
        described = build_dlt_asset_specs(_source_for_specs(name), None, RawTableTranslator(dataset))
    except FunnelhouseError:  # a YAML CRM whose file has an error: its declared tables; ingest says the error
        described = []
    for spec in described:
        table = spec.key.path[-1]
        if table in declared and spec.key not in specs:
            specs[spec.key] = spec.replace_attributes(description=declared[table] or spec.description)
    for table, description in declared.items():
        key = dg.AssetKey([dataset, table])
        if key not in specs:
            specs[key] = dg.AssetSpec(key=key, group_name=GROUP, description=description, kinds={"dlt", "duckdb"})
    return [spec.replace_attributes(skippable=True, freshness_policy=freshness_policy()) for spec in specs.values()]


def _ingestion_asset(name: str) -> dg.AssetsDefinition:
    @dg.multi_asset(name=f"ingest_{name}", specs=source_specs(name), can_subset=False, pool="warehouse")
    def _ingest(context: dg.AssetExecutionContext, funnelhouse: FunnelhouseResource) -> Iterator[dg.MaterializeResult]:
        summary, file_errors = ingest_source(name, funnelhouse.ingest_options())
        for message in [*file_errors, *summary.warnings]:
            context.log.warning(message)
        context.log.info(summary.skipped or f"{name}: {summary_line(summary)} in {summary.seconds:.1f} s")
        # a skipped source still reports every table (nothing loaded, with the reason), so that the refresh goes
        # on with the sources that are configured; checks of its tables that were never loaded say so
        for key in context.selected_asset_keys:
            table = key.path[-1]
            metadata = {"rows_loaded_this_run": summary.table_rows.get(table, 0), "load_id": summary.load_id or ""}
            if summary.skipped:
                metadata["skipped"] = summary.skipped
            if table == RECONCILIATION_TABLE:
                metadata.update(reconciliation_metadata(summary, file_errors))
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)

    return _ingest


def reconciliation_metadata(summary: LoadSummary, file_errors: list[str]) -> dict:
    """The run's tally per input (rows read = loaded + quarantined) on the reconciliation asset."""
    return {
        "rows_read": sum(t.rows_read for t in summary.tallies),
        "rows_loaded": summary.rows_loaded,
        "rows_quarantined": summary.rows_quarantined,
        "seconds": round(summary.seconds, 2),
        "tallies": dg.MetadataValue.json([asdict(t) for t in summary.tallies]),
        "file_errors": dg.MetadataValue.json(file_errors),
        "warnings": dg.MetadataValue.json(summary.warnings),
        "skipped": summary.skipped,
    }


def summary_from_metadata(source: str, metadata: dict) -> tuple[LoadSummary, list[str]]:
    """The LoadSummary and file errors of a run, read back from the reconciliation asset's metadata."""
    tallies = [InputTally(**t) for t in metadata["tallies"].value]
    summary = LoadSummary(source, tallies, seconds=float(metadata["seconds"].value))
    summary.skipped = str(metadata["skipped"].value) if "skipped" in metadata else ""
    summary.warnings = list(metadata["warnings"].value) if "warnings" in metadata else []
    return summary, list(metadata["file_errors"].value)


def pending_raw_specs() -> list[dg.AssetSpec]:
    """The raw tables the dbt sources declare for a dataset no source of SOURCES loads yet (raw_salesforce and
    raw_pipedrive until their dlt sources are registered): assets of the ingestion group that nothing here
    materializes, so that lineage still starts at the raw tables."""
    return [dg.AssetSpec(key=dg.AssetKey([dataset, table]), group_name=GROUP, description=description,
                         kinds={"dlt", "duckdb"})
            for dataset, tables in raw_tables().items() if dataset.removeprefix("raw_") not in SOURCES
            for table, description in tables.items()]


ingestion_assets = [*(_ingestion_asset(name) for name in SOURCES), *pending_raw_specs()]
