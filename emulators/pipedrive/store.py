"""The emulated Pipedrive company account: the seed folder `<inputs>/pipedrive/` in memory, and the edits a test
makes (a deal changed, deleted or added, each writing its changelog items and bumping update_time).

Seed files (one record per line, exactly as the API returns it; see the issue-16 contracts): deals.jsonl,
deal_changelog.jsonl (plus "deal_id", which the API does not send), pipelines.jsonl, stages.jsonl,
persons.jsonl, organizations.jsonl (API v2), users.jsonl, deal_fields.jsonl (API v1). A missing file is an
empty list. The account's clock is one second past its newest timestamp, advanced a second by each edit.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from emulators.common.records import RecordTable, as_text, parse_instant
from emulators.common.records import read_jsonl as read_seed_file
from emulators.common.vendor import ApiError

ENTITY_FILES = ("deals", "pipelines", "stages", "persons", "organizations")
V1_TIME = "%Y-%m-%d %H:%M:%S"  # API v1 (changelog, users, deal fields): UTC without a zone
V2_TIME = "%Y-%m-%dT%H:%M:%SZ"  # API v2: RFC 3339
CLOSING = {"won": "won_time", "lost": "lost_time"}


class DealNotFound(ApiError, KeyError):
    """No deal with that id: the API's 404, and a KeyError to Python callers."""

    def __init__(self, deal_id: Any):
        super().__init__(404, "Deal not found")
        self.deal_id = deal_id

    def __str__(self) -> str:
        return f"Deal not found: {self.deal_id}"


def read_jsonl(path: Path, required: tuple[str, ...], keep_text: bool = False) -> list[Any]:
    """The records of one seed file (with `keep_text`, (record, line) pairs); ValueError naming file, line and
    field when a line is not a record or lacks an integer id."""

    def check(record: dict[str, Any]) -> str | None:
        for name in required:
            if not isinstance(record.get(name), int) or isinstance(record.get(name), bool):
                return f"field {name!r} must be an integer id, got {record.get(name)!r}"
        return None

    return read_seed_file(path, keep_text, check)


class PipedriveAccount:
    """Deals, their changelogs, pipelines, stages, persons, organizations, users and deal fields."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._lock = threading.RLock()
        self.tables = {
            name: RecordTable(read_jsonl(self.data_dir / f"{name}.jsonl", ("id",)), modified="update_time",
                              deleted="is_deleted")
            for name in ENTITY_FILES
        }
        self.users = read_jsonl(self.data_dir / "users.jsonl", ("id",))
        self.deal_fields = read_jsonl(self.data_dir / "deal_fields.jsonl", ("id",))
        # a deal's changelog stays JSON text until asked for: items outnumber deals five to one
        self.changelog: dict[int, list[str]] = {}
        moments = [table.latest() for table in self.tables.values()]
        for item, line in read_jsonl(self.data_dir / "deal_changelog.jsonl", ("deal_id",), keep_text=True):
            self.changelog.setdefault(item["deal_id"], []).append(line)
            moments.append(parse_instant(item.get("time")))
        known = [m for m in moments if m is not None]
        self._clock = max(known) if known else datetime(2026, 1, 1, tzinfo=UTC)

    @property
    def deals(self) -> RecordTable:
        return self.tables["deals"]

    def tick(self) -> datetime:
        """The account's next moment: a second after anything it holds."""
        with self._lock:
            self._clock += timedelta(seconds=1)
            return self._clock

    def deal_changelog(self, deal_id: int) -> list[dict[str, Any]] | None:
        """The deal's changelog items as the API sends them, newest first (None: no such deal)."""
        if self.deals.get(deal_id) is None:
            return None
        with self._lock:
            items = [json.loads(line) for line in self.changelog.get(deal_id, [])]
        ordered = sorted(enumerate(items), key=lambda pair: (parse_instant(pair[1].get("time")) or _EPOCH, pair[0]),
                         reverse=True)
        return [{k: v for k, v in item.items() if k != "deal_id"} for _, item in ordered]

    # ------------------------------------------------------------------ edits (the /_emulator/deals routes)
    def update_deal(self, deal_id: int, changes: dict[str, Any], actor_user_id: int | None = None) -> dict[str, Any]:
        """Changes a deal as a user would: each changed field writes a changelog item (old and new value as
        strings), a stage move sets stage_change_time, a status change sets or clears the close times, and
        update_time moves to the account's next moment. DealNotFound (a KeyError) when there is no such deal."""
        with self._lock:
            deal = self.deals.get(deal_id)
            if deal is None:
                raise DealNotFound(deal_id)
            now = self.tick()
            stamp = now.strftime(V2_TIME)
            updates: dict[str, Any] = {}
            actor = actor_user_id if actor_user_id is not None else deal.get("owner_id")
            for key, value in changes.items():
                old = deal.get("custom_fields", {}).get(key) if _is_custom(key, deal) else deal.get(key)
                if old == value:
                    continue
                if _is_custom(key, deal):
                    updates.setdefault("custom_fields", dict(deal.get("custom_fields") or {}))[key] = value
                else:
                    updates[key] = value
                item = _changelog_item(deal_id, key, old, value, actor, now)
                self.changelog.setdefault(deal_id, []).append(json.dumps(item))
                if key == "stage_id":
                    updates["stage_change_time"] = stamp
                if key == "status":
                    updates.update(_close_times(str(value), stamp))
            updates["update_time"] = stamp
            return self.deals.update(deal_id, updates)

    def delete_deal(self, deal_id: int) -> dict[str, Any]:
        """Marks a deal deleted (the API then lists it only with status=deleted) and bumps update_time."""
        with self._lock:
            if self.deals.get(deal_id) is None:
                raise DealNotFound(deal_id)
            return self.deals.update(deal_id, {"is_deleted": True, "update_time": self.tick().strftime(V2_TIME)})

    def create_deal(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Adds a deal with the next free id, created at the account's next moment."""
        with self._lock:
            stamp = self.tick().strftime(V2_TIME)
            deal = {
                "id": self.deals.next_key(), "title": "New deal", "owner_id": None, "person_id": None,
                "org_id": None, "pipeline_id": None, "stage_id": None, "value": 0, "currency": "EUR",
                "add_time": stamp, "update_time": stamp, "stage_change_time": None, "is_deleted": False,
                "is_archived": False, "status": "open", "probability": None, "lost_reason": None,
                "visible_to": 3, "close_time": None, "won_time": None, "lost_time": None,
                "expected_close_date": None, "label_ids": [], "custom_fields": {},
            }
            deal.update(fields)
            return self.deals.add(deal)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _is_custom(key: str, deal: dict[str, Any]) -> bool:
    return key not in deal and len(key) == 40 and all(c in "0123456789abcdef" for c in key)


def _changelog_item(deal_id: int, key: str, old: Any, new: Any, actor: Any, now: datetime) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "field_key": key,
        "old_value": as_text(old),
        "new_value": as_text(new),
        "actor_user_id": actor,
        "time": now.strftime(V1_TIME),
        "change_source": "api",
        "change_source_user_agent": "funnelhouse-emulator",
        "is_bulk_update_flag": False,
    }


def _close_times(status: str, stamp: str) -> dict[str, Any]:
    if status in CLOSING:
        other = "lost_time" if status == "won" else "won_time"
        return {"close_time": stamp, CLOSING[status]: stamp, other: None}
    return {"close_time": None, "won_time": None, "lost_time": None}  # reopened
