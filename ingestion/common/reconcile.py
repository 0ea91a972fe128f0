"""Per-input tallies of rows read, loaded and quarantined; a run fails loudly when they do not add up."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from ingestion.common.errors import ReconciliationError

RECONCILIATION_TABLE = "reconciliation"


@dataclass
class InputTally:
    """What happened to one input (a file, or one API object type) in one run."""

    source: str
    input_name: str
    input_kind: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    status: str = "loaded"
    detail: str = ""

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined


@dataclass
class Reconciliation:
    """Collects one tally per input while a source is extracted."""

    source: str
    tallies: dict[str, InputTally] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # one-line messages of inputs rejected whole
    warnings: list[str] = field(default_factory=list)  # one line each: files left for the next run, NUL bytes removed

    def tally(self, input_name: str, input_kind: str = "file") -> InputTally:
        if input_name not in self.tallies:
            self.tallies[input_name] = InputTally(self.source, input_name, input_kind)
        return self.tallies[input_name]

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tallies.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tallies.values())

    def rows(self, load_id: str | None = None) -> list[dict]:
        now = datetime.now(timezone.utc)
        return [{**asdict(t), "load_id": load_id, "reconciled_at": now} for t in self.tallies.values()]

    def check(self) -> None:
        """Raise ReconciliationError naming every input whose rows do not add up."""
        bad = [t for t in self.tallies.values() if not t.balanced]
        if bad:
            details = "; ".join(
                f"{t.input_name}: read {t.rows_read} != loaded {t.rows_loaded} + quarantined {t.rows_quarantined}"
                for t in bad
            )
            raise ReconciliationError(f"{self.source}: rows do not reconcile: {details}")
