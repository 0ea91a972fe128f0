"""Records of one kind in memory, as a vendor's seed file holds them: filters by modified-since, deleted flag and
ids, and the edits a test makes between two runs of a source (change, delete, add).

`read_jsonl(path)` reads a seed file. `RecordTable(records, key="id", modified="update_time",
deleted="is_deleted")`; `modified`/`deleted` name the record's fields (None when the vendor has none). Times
compare as instants whatever their text form (`2026-03-05T14:02:11Z`, `2026-03-05T14:02:11.000+0000`,
`2026-03-05 14:02:11` as UTC).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from emulators.common.vendor import ApiError


def as_text(value: Any) -> str | None:
    """A value as APIs that speak only strings write it (HubSpot properties, Pipedrive changelog values):
    None stays None, booleans are "true"/"false"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_jsonl(path: Path, keep_text: bool = False,
               check: Callable[[dict[str, Any]], str | None] | None = None) -> list[Any]:
    """The records of a seed file, one JSON object a line ([] when the file is missing; with `keep_text`,
    (record, line) pairs); ValueError naming file, line and what to do when a line is not a record, or what
    `check(record)` says is wrong with it."""
    if not path.exists():
        return []
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path} line {number}: not JSON ({exc.msg}); regenerate the seed with "
                                 "`funnelhouse generate`") from None
            if not isinstance(record, dict):
                raise ValueError(f"{path} line {number}: expected a JSON object, got {type(record).__name__}")
            problem = check(record) if check is not None else None
            if problem:
                raise ValueError(f"{path} line {number}: {problem}")
            records.append((record, line.strip()) if keep_text else record)
    return records


def parse_instant(value: Any) -> datetime | None:
    """An aware datetime from an ISO-8601 / RFC 3339 string (UTC when it names no zone); None when empty or
    unreadable."""
    return _parse_text(value) if isinstance(value, str) else None


@lru_cache(maxsize=1 << 17)  # listings sort and filter on the same few timestamps page after page
def _parse_text(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def instant_param(raw: str | None, name: str) -> datetime | None:
    """A time query parameter; ApiError 400 naming it when it is not a time."""
    if raw is None or raw == "":
        return None
    moment = parse_instant(raw)
    if moment is None:
        raise ApiError(
            400, f"Invalid value for parameter '{name}': {raw} (expected RFC 3339, e.g. 2026-03-05T14:02:11Z)"
        )
    return moment


class RecordTable:
    """One kind of record, by key, in seed order. Thread-safe; rows() returns the stored dicts (do not change
    them: copy before rendering)."""

    def __init__(
        self,
        records: Iterable[dict[str, Any]],
        key: str = "id",
        modified: str | None = None,
        deleted: str | None = None,
    ):
        self.key, self.modified, self.deleted = key, modified, deleted
        self._lock = threading.RLock()
        self._records: dict[Any, dict[str, Any]] = {}
        for record in records:
            self._records[record[key]] = record

    def __len__(self) -> int:
        return len(self._records)

    def get(self, record_id: Any) -> dict[str, Any] | None:
        with self._lock:
            return self._records.get(record_id)

    def rows(
        self,
        *,
        deleted: bool | None = False,
        since: datetime | None = None,
        until: datetime | None = None,
        ids: Iterable[Any] | None = None,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Records in seed order: `deleted` False only live ones, True only deleted ones, None all; modified at or
        after `since` and before `until`; with a key in `ids`; passing `where`."""
        wanted = None if ids is None else set(ids)
        with self._lock:
            records = list(self._records.values())
        out = []
        for record in records:
            if deleted is not None and self.deleted is not None and bool(record.get(self.deleted)) != deleted:
                continue
            if wanted is not None and record[self.key] not in wanted:
                continue
            if since is not None or until is not None:
                moment = parse_instant(record.get(self.modified)) if self.modified else None
                if moment is None or (since is not None and moment < since):
                    continue
                if until is not None and moment >= until:
                    continue
            if where is not None and not where(record):
                continue
            out.append(record)
        return out

    def latest(self) -> datetime | None:
        """The newest modified time of any record."""
        with self._lock:
            moments = [parse_instant(r.get(self.modified)) for r in self._records.values()] if self.modified else []
        moments = [m for m in moments if m is not None]
        return max(moments) if moments else None

    def update(self, record_id: Any, changes: dict[str, Any]) -> dict[str, Any]:
        """Applies `changes` to a stored record (KeyError when there is none); returns the new record."""
        with self._lock:
            if record_id not in self._records:
                raise KeyError(record_id)
            record = {**self._records[record_id], **changes}
            self._records[record_id] = record
            return record

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._records[record[self.key]] = record
            return record

    def next_key(self) -> int:
        """One past the largest integer key."""
        with self._lock:
            return max([k for k in self._records if isinstance(k, int)], default=0) + 1
