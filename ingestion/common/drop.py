"""Walk a drop folder once per run: skip files already loaded (same fingerprint) and files still being written,
refuse links out of the folder, tally and quarantine rejected files (read again on every run until fixed)."""
from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from ingestion.common.errors import InputFileError
from ingestion.common.files import DropFile, list_files, outside, sha256_file, unsettled
from ingestion.common.quarantine import quarantine_row
from ingestion.common.reconcile import Reconciliation

OUTSIDE_LINK = "a link to a file outside the drop folder, which is not followed; copy the file into the folder instead"


def ready_files(root: Path, paths: list[Path], reconciliation: Reconciliation) -> Iterator[DropFile | InputFileError]:
    """Each file of `paths` (under `root`) with its fingerprint, or the InputFileError of a link out of the folder.
    A file still being written is not yielded: a warning says it will be read on the next run."""
    waiting = unsettled(paths)
    for path in paths:
        name = path.relative_to(root).as_posix()
        if path in waiting:
            reconciliation.warnings.append(
                f"{reconciliation.source}: {name} is still being written (its size or time changed while waiting "
                "for it to settle); it will be read on the next run"
            )
        elif outside(root, path):
            yield InputFileError(name, OUTSIDE_LINK)
        else:
            try:
                yield DropFile(path, name, sha256_file(path))
            except OSError as error:  # no permission, removed or moved while the run looked at it
                yield InputFileError(name, f"cannot be read ({error.strerror or error}); check that the file is there "
                                           "and readable by the user running funnelhouse")


def new_files(
    root: Path, patterns: list[str], state: MutableMapping[str, Any], reconciliation: Reconciliation
) -> Iterator[DropFile | InputFileError]:
    """Yield each new or changed file (or the error of a file refused unread); record its fingerprint in dlt state
    once the caller has finished it, unless the file was rejected whole: that one is read, and reported, again.

    dlt commits resource state together with the load, so a failed load leaves the file to be read again.
    """
    seen: dict[str, str] = state.setdefault("fingerprints", {})
    rejected: dict[str, str] = state.setdefault("rejected", {})  # seen but not loaded: the sensor's "not new"
    if not root.exists():
        return
    for drop in ready_files(root, list_files(root, patterns), reconciliation):
        if isinstance(drop, InputFileError):
            yield drop
            continue
        if seen.get(drop.name) == drop.sha256:
            tally = reconciliation.tally(drop.name, "file")
            tally.status, tally.detail = "unchanged", "already loaded (same fingerprint)"
            continue
        yield drop
        if reconciliation.tally(drop.name, "file").status == "rejected":
            seen.pop(drop.name, None)
            rejected[drop.name] = drop.sha256
        else:
            seen[drop.name] = drop.sha256
            rejected.pop(drop.name, None)


def reject(reconciliation: Reconciliation, error: InputFileError, entity: str) -> Any:
    """Mark a whole file rejected (0 rows) and return its quarantine row (row 0) carrying the one-line message."""
    tally = reconciliation.tally(error.input_name, "file")
    tally.rows_read = tally.rows_loaded = tally.rows_quarantined = 0
    tally.status, tally.detail = "rejected", str(error)
    reconciliation.errors.append(str(error))
    return quarantine_row(
        input_name=error.input_name, row_number=0, field=error.field, raw_value=None, reason=str(error), entity=entity
    )
