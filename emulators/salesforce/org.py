"""The emulated org: fields.json and one <Object>.jsonl per object, read from the seed folder; queries over them,
and the edits the control routes make (a record changed or deleted, a stage change written to OpportunityHistory)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from emulators.common.records import RecordTable
from emulators.salesforce import soql
from emulators.salesforce.errors import SalesforceError, not_found

API_VERSION = "62.0"
KEY_PREFIXES = {
    "User": "005",
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "OpportunityStage": "01J",
}
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# OpportunityHistory copies these from the opportunity when a stage change is written
_HISTORY_COPIED = (
    "StageName",
    "Amount",
    "CloseDate",
    "Probability",
    "ForecastCategory",
    "ExpectedRevenue",
    "CurrencyIsoCode",
)


class SeedError(ValueError):
    """The seed folder does not hold what the emulator needs; the message names the file, line and field."""


def format_datetime(moment: datetime) -> str:
    """Salesforce's JSON datetime: `2026-03-05T14:02:11.000+0000`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character id: 15 characters, then Salesforce's case-safe checksum of three letters."""
    base = f"{prefix}EM{number:010d}"
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, char in enumerate(base[chunk * 5 : chunk * 5 + 5]) if char.isupper())
        suffix += _CHECKSUM_ALPHABET[bits]
    return base + suffix


def record_url(sobject: str, record_id: str) -> str:
    return f"/services/data/v{API_VERSION}/sobjects/{sobject}/{record_id}"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Org:
    """Records per object (seed order), the org's fields per object and an extra custom field (schema drift)."""

    def __init__(self, data_dir: Path, clock: Callable[[], datetime] = utc_now):
        self.data_dir = Path(data_dir)
        self._clock = clock
        self._lock = threading.Lock()
        self.fields: dict[str, list[dict[str, Any]]] = self._read_fields()
        self.records: dict[str, RecordTable] = {
            name: RecordTable(
                self._read_records(name), key="Id", modified="SystemModstamp", deleted="IsDeleted"
            )
            for name in self.fields
        }
        self.drift: dict[str, dict[str, Any]] = {}  # object -> {"field": {...}, "value": v}
        self._next_id = 0
        latest = [table.latest() for table in self.records.values()]
        self._last_stamp = max([m for m in latest if m is not None], default=datetime(1970, 1, 1, tzinfo=UTC))

    # ---------------------------------------------------------------- seed
    def _read_fields(self) -> dict[str, list[dict[str, Any]]]:
        path = self.data_dir / "fields.json"
        if not path.is_file():
            raise SeedError(
                f"{path}: not found; the Salesforce seed folder needs fields.json (the org's fields)"
            )
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SeedError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}); rewrite it") from None
        for sobject, entries in fields.items():
            for number, entry in enumerate(entries, 1):
                if not isinstance(entry, dict) or not entry.get("name") or not entry.get("type"):
                    raise SeedError(f"{path}: {sobject} field {number} lacks 'name' or 'type'; add them")
        for path in sorted(self.data_dir.glob("*.jsonl")):
            if path.stem not in fields:
                raise SeedError(f"{path}: object {path.stem} has no fields in fields.json; add them there")
        return fields

    def _read_records(self, sobject: str) -> list[dict[str, Any]]:
        path = self.data_dir / f"{sobject}.jsonl"
        if not path.is_file():
            return []
        known = {field["name"] for field in self.fields[sobject]} | {"attributes"}
        records, seen = [], {}
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SeedError(
                        f"{path}:{number}: not JSON ({exc.msg}); fix or remove the line"
                    ) from None
                unknown = sorted(set(record) - known)
                if unknown:
                    raise SeedError(
                        f"{path}:{number}: field {unknown[0]!r} is not in fields.json for {sobject}; add it there"
                    )
                if not record.get("Id"):
                    raise SeedError(f"{path}:{number}: record has no 'Id'; every record needs one")
                if record["Id"] in seen:
                    raise SeedError(
                        f"{path}:{number}: Id {record['Id']} repeats line {seen[record['Id']]}; "
                        "keep one record per Id"
                    )
                seen[record["Id"]] = number
                records.append(record)
        return records

    # ---------------------------------------------------------------- schema
    def object_fields(self, sobject: str) -> list[dict[str, Any]]:
        """The fields describe lists: the seed's, then the drift field if one is set."""
        drift = self.drift.get(sobject)
        return self.fields[sobject] + ([drift["field"]] if drift else [])

    def schema(self) -> dict[str, dict[str, str]]:
        return {name: {f["name"]: f["type"] for f in self.object_fields(name)} for name in self.fields}

    def set_drift(self, sobject: str, name: str, value: Any, field_type: str = "string") -> None:
        """Adds a custom field to `sobject` (describe and rows): every record carries `value` in it."""
        if sobject not in self.fields:
            raise KeyError(f"unknown object {sobject!r}")
        if not name.endswith("__c"):
            raise ValueError(f"a custom field name ends in __c: {name!r}")
        field = {"name": name, "type": field_type, "label": name[:-3].replace("_", " "), "custom": True}
        self.drift = {sobject: {"field": field, "value": value}}

    def clear_drift(self) -> None:
        self.drift = {}

    # ---------------------------------------------------------------- reads
    def select(self, text: str, include_deleted: bool) -> tuple[soql.Query, list[dict[str, Any]]]:
        """Runs a SOQL query; deleted rows only when `include_deleted` (queryAll)."""
        query = soql.parse(text, self.schema())
        rows = self.records[query.sobject].rows(deleted=None if include_deleted else False)
        drift = self.drift.get(query.sobject)
        if drift and drift["field"]["name"] in query.field_types:
            rows = [{**r, drift["field"]["name"]: drift["value"]} for r in rows]
        return query, list(soql.evaluate(query, rows))

    @staticmethod
    def render(query: soql.Query, record: dict[str, Any]) -> dict[str, Any]:
        """A query result record: `attributes`, then the selected fields in SELECT order (absent ones null)."""
        rendered: dict[str, Any] = {
            "attributes": {"type": query.sobject, "url": record_url(query.sobject, record["Id"])}
        }
        for field in query.fields:
            rendered[field] = record.get(field)
        return rendered

    # ---------------------------------------------------------------- edits (control routes)
    def now(self) -> str:
        """The org's clock as Salesforce writes datetimes."""
        return format_datetime(self._clock())

    def _stamp(self) -> str:
        """Now, strictly after every stored SystemModstamp, at millisecond precision."""
        now = self._clock().astimezone(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if now <= self._last_stamp:
            now = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = now
        return format_datetime(now)

    def _find(self, sobject: str, record_id: str) -> dict[str, Any]:
        record = self.records[sobject].get(record_id) if sobject in self.records else None
        if record is None:
            raise not_found()
        return record

    def update(
        self, sobject: str, record_id: str, changes: dict[str, Any], user_id: str | None = None
    ) -> dict[str, Any]:
        """A user's edit: the fields change, SystemModstamp (and LastModifiedDate) move to now. On Opportunity a
        new StageName also sets IsClosed, IsWon, Probability and ForecastCategoryName from its OpportunityStage
        (unless the edit sets them), and a changed StageName, Amount or CloseDate writes an OpportunityHistory
        row, as Salesforce does."""
        with self._lock:
            old = self._find(sobject, record_id)
            known = {f["name"] for f in self.fields[sobject]}
            unknown = sorted(set(changes) - known)
            if unknown:
                raise SalesforceError(
                    400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {sobject}"
                )
            stamp = self._stamp()
            if sobject == "Opportunity" and changes.get("StageName", old.get("StageName")) != old.get(
                "StageName"
            ):
                derived = {**self._stage_facts(changes["StageName"]), "LastStageChangeDate": stamp}
                changes = {**{k: v for k, v in derived.items() if k in known}, **changes}
            changes = {**changes, "SystemModstamp": stamp}
            if "LastModifiedDate" in known:
                changes["LastModifiedDate"] = stamp
            if user_id and "LastModifiedById" in known:
                changes["LastModifiedById"] = user_id
            new = self.records[sobject].update(record_id, changes)  # a new dict: open cursors keep the old
            if sobject == "Opportunity" and any(
                old.get(k) != new.get(k) for k in ("StageName", "Amount", "CloseDate")
            ):
                self._write_history(old, new, stamp, user_id)
            return new

    def _stage_facts(self, stage_name: str) -> dict[str, Any]:
        """What Salesforce sets from the stage's OpportunityStage row when an opportunity moves to it."""
        table = self.records.get("OpportunityStage")
        for stage in table.rows(deleted=None) if table is not None else ():
            if stage_name in (stage.get("MasterLabel"), stage.get("ApiName")):
                return {
                    "IsClosed": stage.get("IsClosed"),
                    "IsWon": stage.get("IsWon"),
                    "Probability": stage.get("DefaultProbability"),
                    "ForecastCategoryName": stage.get("ForecastCategoryName"),
                }
        return {}

    def delete(self, sobject: str, record_id: str) -> dict[str, Any]:
        """Moves a record to the recycle bin: IsDeleted true, SystemModstamp now (only queryAll serves it)."""
        with self._lock:
            self._find(sobject, record_id)
            return self.records[sobject].update(
                record_id, {"IsDeleted": True, "SystemModstamp": self._stamp()}
            )

    def _write_history(
        self, old: dict[str, Any], new: dict[str, Any], stamp: str, user_id: str | None
    ) -> None:
        if "OpportunityHistory" not in self.fields:
            return
        self._next_id += 1
        history_id = salesforce_id(KEY_PREFIXES["OpportunityHistory"], self._next_id)
        row: dict[str, Any] = {
            "attributes": {"type": "OpportunityHistory", "url": record_url("OpportunityHistory", history_id)}
        }
        values = {
            "Id": history_id,
            "OpportunityId": new["Id"],
            "IsDeleted": False,
            "CreatedDate": stamp,
            "SystemModstamp": stamp,
            "CreatedById": user_id or new.get("OwnerId"),
            "PrevAmount": old.get("Amount"),
            "PrevCloseDate": old.get("CloseDate"),
        }
        values.update({k: new.get(k) for k in _HISTORY_COPIED})
        for field in self.fields["OpportunityHistory"]:
            row[field["name"]] = values.get(field["name"])
        self.records["OpportunityHistory"].add(row)
