"""dlt source `spreadsheets`: hand-kept sales sheets (CSV/XLSX, any header language, GBK, 万) read as mapping.yaml says."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt

from funnelhouse.settings import PROJECT_ROOT
from ingestion.common.drop import reject
from ingestion.common.errors import InputFileError
from ingestion.common.reconcile import Reconciliation
from ingestion.common.schema import declare_table
from ingestion.spreadsheets.mapping import (
    DEFAULT_MAPPING,
    STAGE_DATE_COLUMNS,
    STAGE_DATE_KEY,
    STAGE_DATES_TABLE,
    Mapping,
    MappingError,
    load_mapping,
)
from ingestion.spreadsheets.tables import TableReader, claim_files

__all__ = ["ENTITY_TABLES", "MappingError", "entity_tables", "load_mapping", "spreadsheets_source"]


def entity_tables(mapping_path: str | Path | None = None) -> set[str]:
    """The data tables a mapping file loads (what the runner cross-checks against the tallies)."""
    return set(load_mapping(mapping_path).tables())


ENTITY_TABLES = entity_tables()  # of the committed mapping.yaml: tracker_deals, export_deals, ...


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def _table_rows(reader: TableReader) -> Iterator[Any]:
    yield from reader.items(dlt.current.resource_state())


def _unmapped_files(root: Path, mapping: Mapping, reconciliation: Reconciliation) -> Iterator[Any]:
    """Spreadsheet files no mapping entry matches: rejected on every run until mapped (they are never loaded)."""
    _, unmapped = claim_files(root, mapping)
    for path in unmapped:
        name = path.relative_to(root).as_posix()
        message = f"no entry in {_shown(mapping.path)} matches this file; add one (see the example at its top)"
        yield reject(reconciliation, InputFileError(name, message), None)


@dlt.source(name="spreadsheets")
def spreadsheets_source(
    drop_dir: str = dlt.config.value,
    mapping_path: str | None = None,
    reconciliation: Reconciliation | None = None,
) -> Any:
    """One merge resource per table of the mapping (default ingestion/spreadsheets/mapping.yaml), reading the new or
    changed files under `drop_dir`. Files rejected whole are named, one line each, in `reconciliation.errors`."""
    mapping = load_mapping(mapping_path or DEFAULT_MAPPING)
    recon = reconciliation or Reconciliation("spreadsheets")
    root = Path(drop_dir)
    resources = []
    for table, specs in mapping.tables().items():
        key = list(specs[0].table_key)
        declare_table(table, mapping.table_columns(table), primary_key=key)
        resource = dlt.resource(_table_rows, name=table, primary_key=key, write_disposition="merge")
        resources.append(resource(TableReader(root, mapping, table, recon)))
    if any(spec.stage_dates for spec in mapping.inputs):
        declare_table(STAGE_DATES_TABLE, STAGE_DATE_COLUMNS, primary_key=STAGE_DATE_KEY)
    resources.append(dlt.resource(_unmapped_files, name="unmapped_files")(root, mapping, recon))
    return resources
