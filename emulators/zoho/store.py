"""The emulated Zoho CRM org: the seed folder (format in emulators/zoho/README.md) in memory, and the edits a test
makes between two loads (a record changed, a deal's stage moved, a record deleted).

Modules Leads, Accounts, Contacts, Deals (`<Module>.jsonl`); Stage_History rows by parent deal (`deal_id` kept out
of what is served); deleted records by module (`module` kept out); users; the settings documents. The org's clock
is one second past its newest timestamp and moves a second per edit; edits write times in the offset of the
record's own Modified_Time, as Zoho writes them in the acting user's time zone.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from emulators.common.records import RecordTable, parse_instant
from emulators.common.vendor import ApiError

MODULES = ("Leads", "Accounts", "Contacts", "Deals")
MODIFIED = "Modified_Time"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of one seed file; ValueError naming file, line and what is wrong."""
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
            if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
                raise ValueError(f"{path} line {number}: expected a JSON object with a string field 'id' "
                                 "(Zoho ids are strings of digits)")
            records.append(record)
    return records


def read_document(path: Path, key: str) -> list[dict[str, Any]]:
    """The list under `key` of a settings document (empty when the file is absent)."""
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc.msg}) at line {exc.lineno}") from None
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise ValueError(f"{path}: expected a JSON object with a list under {key!r}")
    return document[key]


def newest_first(records: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Records by `field` (an instant), newest first; ties by id, larger first."""
    return sorted(records, key=lambda r: (parse_instant(r.get(field)) or _EPOCH, int(r["id"])), reverse=True)


class RecordNotFound(ApiError, KeyError):
    """No such record: the API's 400 INVALID_DATA (Zoho answers an unknown record id so), a KeyError to Python."""

    def __init__(self, module: str, record_id: str):
        super().__init__(400, "the related id given seems to be invalid", code="INVALID_DATA",
                         details={"id": record_id})
        self.module, self.record_id = module, record_id

    def __str__(self) -> str:
        return f"No {self.module} record {self.record_id}"


class ZohoOrg:
    """Module records, Stage_History rows, deleted records, users and settings of one Zoho CRM org."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._lock = threading.RLock()
        self.modules = {m: RecordTable(read_jsonl(self.data_dir / f"{m}.jsonl"), modified=MODIFIED)
                        for m in MODULES}
        self.stage_history: dict[str, list[dict[str, Any]]] = {}
        for row in read_jsonl(self.data_dir / "Stage_History.jsonl"):
            deal_id = row.get("deal_id")
            if not isinstance(deal_id, str):
                raise ValueError(f"{self.data_dir / 'Stage_History.jsonl'}: row {row['id']} has no string "
                                 "'deal_id' (the parent deal)")
            self.stage_history.setdefault(deal_id, []).append({k: v for k, v in row.items() if k != "deal_id"})
        self.deleted: dict[str, list[dict[str, Any]]] = {}
        for row in read_jsonl(self.data_dir / "deleted.jsonl"):
            module = row.get("module")
            if module not in MODULES:
                raise ValueError(f"{self.data_dir / 'deleted.jsonl'}: row {row['id']} has module {module!r}; "
                                 f"expected one of {', '.join(MODULES)}")
            self.deleted.setdefault(module, []).append({k: v for k, v in row.items() if k != "module"})
        self.users = read_jsonl(self.data_dir / "users.jsonl")
        self.layouts = read_document(self.data_dir / "layouts.json", "layouts")
        self.pipelines = read_document(self.data_dir / "pipelines.json", "pipeline")
        self.fields = {path.stem.removeprefix("fields_"): read_document(path, "fields")
                       for path in sorted(self.data_dir.glob("fields_*.json"))}
        moments = [table.latest() for table in self.modules.values()]
        moments += [parse_instant(r.get(MODIFIED)) for rows in self.stage_history.values() for r in rows]
        moments += [parse_instant(r.get("deleted_time")) for rows in self.deleted.values() for r in rows]
        known = [m for m in moments if m is not None]
        self._clock = max(known) if known else datetime(2026, 1, 1, tzinfo=UTC)

    def table(self, module: str) -> RecordTable:
        return self.modules[module]

    def deal_stage_history(self, deal_id: str) -> list[dict[str, Any]] | None:
        """The deal's Stage_History rows newest first (None: no such deal, live or deleted)."""
        if self.modules["Deals"].get(deal_id) is None:
            return None
        with self._lock:
            return newest_first(list(self.stage_history.get(deal_id, [])), MODIFIED)

    def deleted_records(self, module: str) -> list[dict[str, Any]]:
        with self._lock:
            return newest_first(list(self.deleted.get(module, [])), "deleted_time")

    def tick(self) -> datetime:
        with self._lock:
            self._clock += timedelta(seconds=1)
            return self._clock

    # ------------------------------------------------------------ edits (the /_emulator/records routes)
    def update(self, module: str, record_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Changes a record as a user would: Modified_Time moves to the org's next second; a deal's Stage change
        writes a Stage_History row (Probability from the changes or the record). Returns the new record."""
        with self._lock:
            record = self._record(module, record_id)
            stamp = _stamp(self.tick(), record.get(MODIFIED))
            updated = self.modules[module].update(record_id, {**changes, MODIFIED: stamp})
            if module == "Deals" and "Stage" in changes and changes["Stage"] != record.get("Stage"):
                self._stage_row(updated, stamp)
            return updated

    def delete(self, module: str, record_id: str, user: dict[str, Any] | None = None) -> dict[str, Any]:
        """Moves a record to the recycle bin: gone from the module, listed by /deleted (type recycle)."""
        with self._lock:
            record = self._record(module, record_id)
            stamp = _stamp(self.tick(), record.get(MODIFIED))
            owner = user or _minified(record.get("Owner"))
            entry = {"deleted_by": owner, "id": record_id, "display_name": _display_name(module, record),
                     "type": "recycle", "created_by": _minified(record.get("Created_By")) or owner,
                     "deleted_time": stamp}
            self._drop(module, record_id)
            self.deleted.setdefault(module, []).append(entry)
            return entry

    def _record(self, module: str, record_id: str) -> dict[str, Any]:
        if module not in self.modules:
            raise ApiError(400, "the module name given seems to be invalid", code="INVALID_MODULE",
                           details={"resource_path_index": 0})
        record = self.modules[module].get(record_id)
        if record is None:
            raise RecordNotFound(module, record_id)
        return record

    def _drop(self, module: str, record_id: str) -> None:
        table = self.modules[module]
        kept = [r for r in table.rows(deleted=None) if r["id"] != record_id]
        self.modules[module] = RecordTable(kept, modified=MODIFIED)

    def _stage_row(self, deal: dict[str, Any], stamp: str) -> None:
        rows = self.stage_history.setdefault(deal["id"], [])
        previous = newest_first(rows, MODIFIED)[0] if rows else None
        days = 0
        if previous is not None:
            start, end = parse_instant(previous.get(MODIFIED)), parse_instant(stamp)
            days = max(0, (end - start).days) if start and end else 0
            previous["Duration_Days"] = days
        next_id = max([int(r["id"]) for rs in self.stage_history.values() for r in rs] + [int(deal["id"])]) + 1
        amount = deal.get("Amount")
        probability = deal.get("Probability")
        rows.append({
            "id": str(next_id), "Stage": deal.get("Stage"), "Amount": amount, "Probability": probability,
            "Expected_Revenue": None if amount is None or probability is None else round(amount * probability / 100, 2),
            "Closing_Date": deal.get("Closing_Date"), "Duration_Days": None, "Moved_To__s": deal.get("Stage"),
            "Modified_By": deal.get("Modified_By") or deal.get("Owner"), MODIFIED: stamp,
        })


def _stamp(moment: datetime, like: Any) -> str:
    """`moment` written as Zoho writes times, in the offset of `like` (another of the record's times)."""
    reference = parse_instant(like)
    zone = reference.tzinfo if reference is not None else timezone.utc
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _minified(user: Any) -> dict[str, Any] | None:
    return {"name": user.get("name"), "id": user.get("id")} if isinstance(user, dict) else None


def _display_name(module: str, record: dict[str, Any]) -> str | None:
    if module == "Deals":
        return record.get("Deal_Name")
    if module == "Accounts":
        return record.get("Account_Name")
    return record.get("Full_Name") or " ".join(p for p in (record.get("First_Name"), record.get("Last_Name")) if p)
