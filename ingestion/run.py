"""Load one or more sources into the warehouse: the plain-Python entry point used by the CLI and by Dagster."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from funnelhouse import settings
from ingestion.common.reconcile import Reconciliation
from ingestion.pipeline import LoadSummary, make_pipeline, run_source

SOURCES = ("forms", "spreadsheets", "hubspot")


@dataclass
class IngestOptions:
    """Where to read and write; HubSpot settings fall back to dlt config/secrets when not given."""

    inputs_dir: Path = field(default_factory=settings.inputs_dir)
    warehouse: Path = field(default_factory=settings.warehouse_path)
    pipelines_dir: Path | None = None  # default: next to the warehouse (settings.pipelines_dir)
    hubspot_base_url: str | None = None
    hubspot_token: str | None = None
    progress: str | None = None


def _forms(options: IngestOptions, recon: Reconciliation):
    from ingestion.forms import ENTITY_TABLES, forms_source

    return forms_source(drop_dir=str(options.inputs_dir / "forms"), reconciliation=recon), ENTITY_TABLES


def _spreadsheets(options: IngestOptions, recon: Reconciliation):
    from ingestion.spreadsheets import ENTITY_TABLES, spreadsheets_source

    return spreadsheets_source(drop_dir=str(options.inputs_dir / "spreadsheets"), reconciliation=recon), ENTITY_TABLES


def _hubspot(options: IngestOptions, recon: Reconciliation):
    from ingestion.hubspot import ENTITY_TABLES, hubspot_source

    kwargs = {"reconciliation": recon}
    if options.hubspot_base_url:
        kwargs["base_url"] = options.hubspot_base_url
    if options.hubspot_token:
        kwargs["api_token"] = options.hubspot_token
    return hubspot_source(**kwargs), ENTITY_TABLES


BUILDERS: dict[str, Callable] = {"forms": _forms, "spreadsheets": _spreadsheets, "hubspot": _hubspot}


def ingest_source(name: str, options: IngestOptions | None = None) -> tuple[LoadSummary, list[str]]:
    """Load one source into `raw_<name>`; returns its summary and the one-line errors of files rejected whole."""
    options = options or IngestOptions()
    recon = Reconciliation(name)
    pipeline = make_pipeline(name, options.warehouse, options.pipelines_dir, options.progress)
    # built after its pipeline exists: the HubSpot source reads the pipeline's cursors to choose list vs. search
    source, entity_tables = BUILDERS[name](options, recon)
    summary = run_source(name, source, recon, entity_tables, pipeline)
    return summary, list(recon.errors)


def ingest(names: Iterable[str], options: IngestOptions | None = None) -> tuple[list[LoadSummary], list[str]]:
    """Load several sources in order; file-level errors are collected, never stop the other sources."""
    summaries, errors = [], []
    for name in names:
        summary, source_errors = ingest_source(name, options)
        summaries.append(summary)
        errors.extend(source_errors)
    return summaries, errors
