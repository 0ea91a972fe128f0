"""Walk a drop folder once per run: skip files already loaded (same fingerprint), tally and quarantine rejected files."""
from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from ingestion.common.errors import InputFileError
from ingestion.common.files import DropFile, scan
from ingestion.common.quarantine import quarantine_row
from ingestion.common.reconcile import Reconciliation


def new_files(
    root: Path, patterns: list[str], state: MutableMapping[str, Any], reconciliation: Reconciliation
) -> Iterator[DropFile]:
    """Yield each new or changed file; record its fingerprint in dlt state once the caller has finished it.

    dlt commits resource state together with the load, so a failed load leaves the file to be read again.
    """
    seen: dict[str, str] = state.setdefault("fingerprints", {})
    if not root.exists():
        return
    for drop, changed in scan(root, patterns, seen):
        if not changed:
            tally = reconciliation.tally(drop.name, "file")
            tally.status, tally.detail = "unchanged", "already loaded (same fingerprint)"
            continue
        yield drop
        seen[drop.name] = drop.sha256


def reject(reconciliation: Reconciliation, error: InputFileError, entity: str) -> Any:
    """Mark a whole file rejected (0 rows) and return its quarantine row (row 0) carrying the one-line message."""
    tally = reconciliation.tally(error.input_name, "file")
    tally.rows_read = tally.rows_loaded = tally.rows_quarantined = 0
    tally.status, tally.detail = "rejected", str(error)
    reconciliation.errors.append(str(error))
    return quarantine_row(
        input_name=error.input_name, row_number=0, field=error.field, raw_value=None, reason=str(error), entity=entity
    )
