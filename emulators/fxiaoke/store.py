"""The emulated fxiaoke tenant: a seed folder (emulators/fxiaoke/README.md) in memory, and the edits a test makes
between two runs of a source (a record added or changed, its `last_modified_time` bumped; a 商机 whose
`sales_stage` changes gets its stage-change record).

The tenant's clock is one second past its newest `last_modified_time` (epoch milliseconds), advanced a second by
each edit.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from emulators.common.records import RecordTable

OPPORTUNITY = "NewOpportunityObj"
STAGE_CHANGES = "NewOpportunityStageChangeObj"  # our choice: the docs name no apiName for 商机 stage moves
DEFAULT_CLOCK = 1767225600000  # 2026-01-01T00:00:00Z


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of one seed file; ValueError naming file, line and what to do when a line is not a record."""
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
            records.append(record)
    return records


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc.msg} on line {exc.lineno}); regenerate the seed") from None
    if not isinstance(document, dict) or not isinstance(document.get("fields"), dict):
        raise ValueError(f"{path}: expected the describe object {{\"api_name\", \"fields\": {{...}}}}")
    return document


class FxiaokeTenant:
    """Objects by apiName (each a RecordTable keyed on `_id`), their describes, employees and departments."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._lock = threading.RLock()
        self.objects: dict[str, RecordTable] = {}
        for path in sorted(self.data_dir.glob("*.jsonl")):
            if path.stem in ("employees", "departments"):
                continue
            records = read_jsonl(path)
            for number, record in enumerate(records, start=1):
                if not isinstance(record.get("_id"), str) or not record["_id"]:
                    raise ValueError(f"{path} record {number}: field '_id' must be a non-empty string, got "
                                     f"{record.get('_id')!r}")
            self.objects[path.stem] = RecordTable(records, key="_id")
        self.describes = {path.stem: _read_json(path) for path in sorted((self.data_dir / "describe").glob("*.json"))}
        self.employees = read_jsonl(self.data_dir / "employees.jsonl")
        self.departments = read_jsonl(self.data_dir / "departments.jsonl")
        times = [r.get("last_modified_time") for table in self.objects.values() for r in table.rows(deleted=None)]
        known = [t for t in times if isinstance(t, int) and not isinstance(t, bool)]
        self._clock = max(known) if known else DEFAULT_CLOCK

    def tick(self) -> int:
        """The tenant's next moment in epoch milliseconds: a second after anything it holds."""
        with self._lock:
            self._clock += 1000
            return self._clock

    def known_object(self, api_name: str) -> bool:
        return api_name in self.objects or api_name in self.describes

    def records(self, api_name: str) -> list[dict[str, Any]]:
        table = self.objects.get(api_name)
        return [] if table is None else table.rows(deleted=None)

    def employee(self, open_user_id: str) -> dict[str, Any] | None:
        return next((e for e in self.employees if e.get("openUserId") == open_user_id), None)

    def department_tree(self, department_id: int, fetch_child: bool) -> set[int] | None:
        """The department and (fetch_child) its descendants; None for 999999, the whole company."""
        if department_id == 999999:
            return None
        wanted = {department_id}
        while fetch_child:
            more = {d["id"] for d in self.departments if d.get("parentId") in wanted} - wanted
            if not more:
                break
            wanted |= more
        return wanted

    # ------------------------------------------------------------------ edits (POST /_emulator/records/<apiName>)
    def save(self, api_name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Adds a record (a new `_id`) or changes one, stamping `last_modified_time` (and `create_time` of a new
        one) with the tenant's next moment. A 商机 whose `sales_stage` changes gets a stage-change record."""
        with self._lock:
            table = self.objects.setdefault(api_name, RecordTable([], key="_id"))
            now = self.tick()
            old = table.get(changes.get("_id")) if changes.get("_id") else None
            if old is None:
                record = {"_id": changes.get("_id") or f"emulator{now:016x}", "create_time": now,
                          "life_status": "normal", "is_deleted": False, **changes, "last_modified_time": now}
                table.add(record)
            else:
                record = table.update(old["_id"], {**changes, "last_modified_time": now})
            before = None if old is None else old.get("sales_stage")
            if api_name == OPPORTUNITY and "sales_stage" in changes and changes["sales_stage"] != before:
                self._stage_change(record, before, now)
            return record

    def _stage_change(self, deal: dict[str, Any], before: Any, now: int) -> None:
        table = self.objects.setdefault(STAGE_CHANGES, RecordTable([], key="_id"))
        change = {"_id": f"{deal['_id']}-{now}", "name": f"{deal.get('name', '')} 阶段变更",
                  "new_opportunity_id": deal["_id"], "new_opportunity_id__r": deal.get("name"),
                  "after_stage": deal["sales_stage"], "change_time": now, "changed_by": deal.get("owner"),
                  "owner": deal.get("owner"), "life_status": "normal", "is_deleted": False, "create_time": now,
                  "last_modified_time": now}
        if before is not None:
            change["before_stage"] = before
        table.add(change)
