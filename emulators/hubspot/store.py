"""SQLite-backed store of the emulated HubSpot account: seed loading, paging, search, rendering, updates."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulators.common.records import as_text as property_value
from emulators.common.vendor import ApiError
from emulators.hubspot.account import DEAL_STAGE_METADATA, HUBSPOT_DEFINED, STAGE_CALCULATED, options, stage_calculated

OBJECT_TYPES = ("companies", "contacts", "deals")
SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal"}
TYPE_ALIASES = {
    "companies": "companies",
    "company": "companies",
    "0-2": "companies",
    "contacts": "contacts",
    "contact": "contacts",
    "0-1": "contacts",
    "deals": "deals",
    "deal": "deals",
    "0-3": "deals",
}
# Contacts carry `lastmodifieddate`; companies and deals carry `hs_lastmodifieddate`.
MODIFIED_PROPERTY = {
    "companies": "hs_lastmodifieddate",
    "contacts": "lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
# Properties HubSpot returns when the request names none (list, get, search alike).
DEFAULT_PROPERTIES = {
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
}
# Free-text `query` of the search endpoint looks in these.
QUERY_PROPERTIES = {
    "companies": ("name", "domain", "website", "phone"),
    "contacts": ("firstname", "lastname", "email", "phone", "company"),
    "deals": ("dealname",),
}
# Properties whose changes are always recorded as history by the admin update endpoint.
HISTORIED_PROPERTIES = frozenset({"dealstage", "lifecyclestage"})
ENUMERATION_PROPERTIES = frozenset({"dealstage", "pipeline", "lifecyclestage", "industry", "hs_lead_status"})
_PROPERTY_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class HubSpotError(ApiError):
    """A request HubSpot refuses, answered with its body {"status": "error", "message", "correlationId",
    "category", ...extra} (rendered by emulators.hubspot.app)."""

    def __init__(self, status: int, message: str, category: str = "VALIDATION_ERROR", **extra: Any):
        super().__init__(status, message, category=category, **extra)
        self.category = category
        self.extra = extra


StoreError = HubSpotError  # what the store raises


def resolve_object_type(name: str) -> str | None:
    return TYPE_ALIASES.get(name.lower())


def parse_timestamp(value: Any) -> int | None:
    """Epoch milliseconds from an int, a digit string (epoch ms) or an ISO-8601 date/datetime string."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit() or (text[0] == "-" and text[1:].isdigit()):
        return int(text)
    try:
        parsed = datetime.fromisoformat(text)  # Python 3.11+ reads "Z" and most ISO-8601 forms
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("z", "+00:00").replace("t", "T"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(round(parsed.timestamp() * 1000))


def format_timestamp(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _as_number(value: Any) -> float | None:
    """A property value as a number: plain numbers, epoch-ms strings and ISO dates (as epoch ms)."""
    if value is None:
        return None
    text = str(value).strip()
    if _NUMBER.match(text):
        return float(text)
    if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-":
        ms = parse_timestamp(text)
        return float(ms) if ms is not None else None
    return None


def _match(stored: Any, operator: str, value: Any, high: Any) -> int:
    """SQLite function: does one stored property value satisfy one HubSpot search filter?"""
    present = stored is not None and stored != ""
    if operator == "HAS_PROPERTY":
        return int(present)
    if operator == "NOT_HAS_PROPERTY":
        return int(not present)
    if operator in ("IN", "NOT_IN"):
        wanted = [str(v).lower() for v in json.loads(value)]
        hit = present and str(stored).lower() in wanted
        if not hit and present:
            number = _as_number(stored)
            hit = number is not None and any(_as_number(v) == number for v in wanted)
        return int(hit) if operator == "IN" else int(not hit)
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(value).lower()
        if "*" not in pattern:
            pattern = f"*{pattern}*"
        text = str(stored).lower() if present else ""
        hit = present and (
            fnmatch.fnmatchcase(text, pattern)
            or any(fnmatch.fnmatchcase(token, pattern) for token in text.split())
        )
        return int(hit) if operator == "CONTAINS_TOKEN" else int(not hit)
    if not present:
        return int(operator == "NEQ")
    left_n, right_n = _as_number(stored), _as_number(value)
    if left_n is not None and right_n is not None:
        left, right = left_n, right_n
        upper = _as_number(high)
    else:
        left, right = str(stored).lower(), str(value).lower()
        upper = None if high is None else str(high).lower()
    if operator == "EQ":
        return int(left == right)
    if operator == "NEQ":
        return int(left != right)
    if operator == "LT":
        return int(left < right)
    if operator == "LTE":
        return int(left <= right)
    if operator == "GT":
        return int(left > right)
    if operator == "GTE":
        return int(left >= right)
    if operator == "BETWEEN":
        return int(upper is not None and right <= left <= upper)
    return 0


def _sort_number(value: Any) -> float | None:
    return _as_number(value)


def _query_match(doc: str, fields: str, query: str) -> int:
    props = json.loads(doc).get("properties") or {}
    needle = query.lower()
    return int(any(needle in str(props.get(name) or "").lower() for name in fields.split(",")))


NUMERIC_OPERATORS = {"EQ": "=", "NEQ": "!=", "LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
ALL_OPERATORS = set(NUMERIC_OPERATORS) | {
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}


class HubSpotStore:
    """The emulated account. Objects live in a temporary SQLite file, never all in memory."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._lock = threading.RLock()
        fd, self._db_path = tempfile.mkstemp(prefix="hubspot-emulator-", suffix=".sqlite3")
        os.close(fd)
        self._db = sqlite3.connect(self._db_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._db.execute("PRAGMA cache_size=-65536")
        self._db.create_function("hs_match", 4, _match, deterministic=True)
        self._db.create_function("hs_num", 1, _sort_number, deterministic=True)
        self._db.create_function("hs_query", 3, _query_match, deterministic=True)
        self.schema: dict[str, dict[str, Any]] = {t: {} for t in OBJECT_TYPES}  # name -> sample value
        self.max_id = {t: 0 for t in OBJECT_TYPES}
        self.max_timestamp = 0
        self.owners: list[dict[str, Any]] = []
        self.pipelines: dict[str, Any] = {"results": []}
        self.stage_metadata: dict[tuple[str, str], dict[str, Any]] = {}  # (pipeline id, stage id) -> metadata
        self.extra_property: dict[str, str] | None = None
        self._closed = False
        try:
            self._db.execute("BEGIN")  # one transaction: autocommit would write the file once per row
            self._load()
            self._db.execute("COMMIT")
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        db = self._db
        db.execute(
            # both directions of every link, each once
            "CREATE TABLE assoc (from_type TEXT NOT NULL, from_id INTEGER NOT NULL, to_type TEXT NOT NULL,"
            " to_id INTEGER NOT NULL, PRIMARY KEY (from_type, from_id, to_type, to_id)) WITHOUT ROWID"
        )
        for object_type in OBJECT_TYPES:
            db.execute(
                f"CREATE TABLE obj_{object_type} (id INTEGER PRIMARY KEY, archived INTEGER NOT NULL,"
                " last_modified INTEGER NOT NULL, created INTEGER NOT NULL, doc TEXT NOT NULL)"
            )
            self._load_objects(object_type, self.data_dir / f"{object_type}.jsonl")
            db.execute(f"CREATE INDEX obj_{object_type}_archived_id ON obj_{object_type} (archived, id)")
            db.execute(
                f"CREATE INDEX obj_{object_type}_archived_modified ON obj_{object_type}"
                " (archived, last_modified, id)"
            )
            for name in (*DEFAULT_PROPERTIES[object_type], *HUBSPOT_DEFINED[object_type]):
                self.schema[object_type].setdefault(name, None)
        owners_path = self.data_dir / "owners.jsonl"
        if owners_path.exists():
            with owners_path.open(encoding="utf-8") as handle:
                self.owners = [json.loads(line) for line in handle if line.strip()]
            self.owners.sort(key=lambda owner: _id_key(owner.get("id")))
        pipelines_path = self.data_dir / "pipelines.json"
        if pipelines_path.exists():
            self.pipelines = json.loads(pipelines_path.read_text(encoding="utf-8"))
            self._index_stages(pipelines_path)

    def _index_stages(self, path: Path) -> None:
        """Stage metadata by (pipeline, stage); a key HubSpot does not document for deal stages is refused."""
        for pipeline in self.pipelines.get("results") or []:
            for stage in pipeline.get("stages") or []:
                metadata = stage.get("metadata") or {}
                unknown = sorted(set(metadata) - DEAL_STAGE_METADATA)
                if unknown:
                    raise ValueError(
                        f"{path}: stage {stage.get('id')!r} of pipeline {pipeline.get('id')!r} has metadata "
                        f"{unknown} that HubSpot does not document for deal stages (only "
                        f"{sorted(DEAL_STAGE_METADATA)})"
                    )
                if not _documented_stage_values(metadata):
                    raise ValueError(
                        f"{path}: stage {stage.get('id')!r} of pipeline {pipeline.get('id')!r} has metadata "
                        f"{metadata} outside what HubSpot documents (isClosed \"true\"/\"false\", probability "
                        "0.0 to 1.0)"
                    )
                self.stage_metadata[(str(pipeline.get("id")), str(stage.get("id")))] = metadata

    def _load_objects(self, object_type: str, path: Path) -> None:
        if not path.exists():
            return
        modified_property = MODIFIED_PROPERTY[object_type]
        schema = self.schema[object_type]
        rows: list[tuple] = []
        links: list[tuple] = []
        insert = (
            f"INSERT INTO obj_{object_type} (id, archived, last_modified, created, doc) VALUES (?,?,?,?,?)"
        )
        link = "INSERT OR IGNORE INTO assoc (from_type, from_id, to_type, to_id) VALUES (?, ?, ?, ?)"
        with path.open(encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, start=1):
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                    object_id = int(obj["id"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(
                        f"{path}:{line_number}: not a HubSpot object with a numeric id ({exc})"
                    ) from exc
                props = obj.get("properties") or {}
                for name, value in props.items():
                    if schema.get(name) is None:
                        schema[name] = value if value not in (None, "") else schema.get(name)
                for name in obj.get("propertiesWithHistory") or {}:
                    schema.setdefault(name, None)
                modified = (
                    parse_timestamp(props.get(modified_property))
                    or parse_timestamp(obj.get("updatedAt"))
                    or 0
                )
                created = (
                    parse_timestamp(props.get("createdate")) or parse_timestamp(obj.get("createdAt")) or 0
                )
                updated_at, archived_at = obj.get("updatedAt"), obj.get("archivedAt")
                self.max_timestamp = max(
                    self.max_timestamp,
                    modified,
                    created,
                    0 if updated_at == props.get(modified_property) else parse_timestamp(updated_at) or 0,
                    0 if archived_at is None else parse_timestamp(archived_at) or 0,
                )
                self.max_id[object_type] = max(self.max_id[object_type], object_id)
                rows.append((object_id, 1 if obj.get("archived") else 0, modified, created, line))
                for target, ids in (obj.get("associations") or {}).items():
                    target_type = resolve_object_type(target)
                    if target_type is None:
                        continue
                    for target_id in ids or []:
                        if isinstance(target_id, dict):
                            target_id = target_id.get("id")
                        links.append((object_type, object_id, target_type, int(target_id)))
                        links.append((target_type, int(target_id), object_type, object_id))
                if len(rows) >= 5000:
                    self._db.executemany(insert, rows)
                    rows.clear()
                if len(links) >= 20000:
                    self._db.executemany(link, links)
                    links.clear()
        self._db.executemany(insert, rows)
        self._db.executemany(link, links)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._db.close()
            try:
                os.unlink(self._db_path)
            except OSError:
                pass

    # ------------------------------------------------------------------ schema
    def property_names(self, object_type: str) -> set[str]:
        names = set(self.schema[object_type])
        names.add("hs_object_id")
        if self.extra_property:
            names.add(self.extra_property["name"])
        return names

    def set_extra_property(self, extra: dict[str, Any] | None) -> None:
        with self._lock:
            if extra is None:
                self.extra_property = None
            else:
                self.extra_property = {
                    "name": str(extra["name"]),
                    "value": property_value(extra.get("value")),
                }

    # ------------------------------------------------------------------ reads
    def get(self, object_type: str, object_id: int) -> tuple[dict[str, Any], bool] | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT doc, archived FROM obj_{object_type} WHERE id = ?", (object_id,)
            ).fetchone()
        if row is None:
            return None
        return json.loads(row[0]), bool(row[1])

    def list_page(
        self, object_type: str, archived: bool, after: int, limit: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Objects with id >= after in id order; the returned cursor is the id of the next page's first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, doc FROM obj_{object_type} WHERE archived = ? AND id >= ? ORDER BY id LIMIT ?",
                (1 if archived else 0, after, limit + 1),
            ).fetchall()
        next_after = rows[limit][0] if len(rows) > limit else None
        return [json.loads(doc) for _, doc in rows[:limit]], next_after

    def associations(
        self, object_type: str, ids: list[int], targets: list[str]
    ) -> dict[int, dict[str, list[int]]]:
        found: dict[int, dict[str, list[int]]] = {}
        if not ids or not targets:
            return found
        # Like HubSpot, associations to archived (or unknown) records are not returned.
        with self._lock:
            for start in range(0, len(ids), 400):
                chunk = ids[start : start + 400]
                marks = ",".join("?" * len(chunk))
                for to_type in sorted(targets):
                    for from_id, to_id in self._db.execute(
                        f"SELECT a.from_id, a.to_id FROM assoc a JOIN obj_{to_type} o ON o.id = a.to_id"
                        f" WHERE a.from_type = ? AND a.from_id IN ({marks}) AND a.to_type = ?"
                        f" AND o.archived = 0 ORDER BY a.from_id, a.to_id",
                        (object_type, *chunk, to_type),
                    ):
                        found.setdefault(from_id, {}).setdefault(to_type, []).append(to_id)
        return found

    def search(
        self,
        object_type: str,
        filter_groups: list[dict[str, Any]],
        sorts: list[Any],
        query: str | None,
        offset: int,
        limit: int,
    ) -> tuple[int, list[dict[str, Any]]]:
        where, params = self._search_where(object_type, filter_groups, query)
        order = self._search_order(object_type, sorts)
        table = f"obj_{object_type}"
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", params).fetchone()[0]
            rows = []
            if limit > 0 and offset < total:
                rows = self._db.execute(
                    f"SELECT doc FROM {table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                    (*params, limit, offset),
                ).fetchall()
        return total, [json.loads(doc) for (doc,) in rows]

    def _column_for(self, object_type: str, name: str) -> tuple[str, str] | None:
        """(SQL column, kind) for properties kept in indexed columns."""
        if name == "hs_object_id":
            return "id", "id"
        if name == MODIFIED_PROPERTY[object_type]:
            return "last_modified", "timestamp"
        if name == "createdate":
            return "created", "timestamp"
        return None

    def _check_property(self, object_type: str, name: Any) -> str:
        if (
            not isinstance(name, str)
            or not _PROPERTY_NAME.match(name)
            or name not in self.property_names(object_type)
        ):
            raise StoreError(
                400,
                f'There was a problem with the request. Property "{name}" does not exist '
                f"for object type {object_type}.",
                context={"propertyName": [str(name)]},
            )
        return name

    def _search_where(
        self, object_type: str, filter_groups: list[dict[str, Any]], query: str | None
    ) -> tuple[str, list[Any]]:
        params: list[Any] = []
        groups_sql = []
        for group in filter_groups:
            clauses = []
            for flt in group.get("filters") or []:
                clause, clause_params = self._filter_sql(object_type, flt)
                clauses.append(clause)
                params.extend(clause_params)
            if clauses:
                groups_sql.append("(" + " AND ".join(clauses) + ")")
        where = "archived = 0"
        if groups_sql:
            where += " AND (" + " OR ".join(groups_sql) + ")"
        if query:
            where += " AND hs_query(doc, ?, ?)"
            params.extend([",".join(QUERY_PROPERTIES[object_type]), str(query)])
        return where, params

    def _filter_sql(self, object_type: str, flt: dict[str, Any]) -> tuple[str, list[Any]]:
        if not isinstance(flt, dict):
            raise StoreError(
                400, "Invalid filter: each filter must be an object with propertyName and operator."
            )
        name = self._check_property(object_type, flt.get("propertyName"))
        operator = str(flt.get("operator") or "EQ").upper()
        if operator not in ALL_OPERATORS:
            raise StoreError(400, f'Invalid operator "{flt.get("operator")}" for property "{name}".')
        value, high, values = flt.get("value"), flt.get("highValue"), flt.get("values")
        if operator in ("IN", "NOT_IN"):
            if not isinstance(values, list) or not values:
                raise StoreError(
                    400, f'Operator {operator} requires a non-empty "values" list (property "{name}").'
                )
        elif operator not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY") and value is None:
            raise StoreError(400, f'Operator {operator} requires a "value" (property "{name}").')
        if operator == "BETWEEN" and high is None:
            raise StoreError(400, f'Operator BETWEEN requires "value" and "highValue" (property "{name}").')
        column = self._column_for(object_type, name)
        if column is None or operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            path = f'$.properties."{name}"'
            source = "CAST(id AS TEXT)" if name == "hs_object_id" else "json_extract(doc, ?)"
            source_params = [] if name == "hs_object_id" else [path]
            packed = json.dumps([str(v) for v in values]) if operator in ("IN", "NOT_IN") else value
            return (
                f"hs_match({source}, ?, ?, ?)",
                [
                    *source_params,
                    operator,
                    None if packed is None else str(packed),
                    None if high is None else str(high),
                ],
            )
        sql_column, kind = column

        def convert(raw: Any) -> int:
            converted = parse_timestamp(raw) if kind == "timestamp" else _int_or_none(raw)
            if converted is None:
                raise StoreError(
                    400,
                    f'There was a problem with the request. "{raw}" is not a valid value '
                    f'for property "{name}"; use epoch milliseconds or an ISO-8601 date.',
                )
            return converted

        if operator == "HAS_PROPERTY":
            return "1", []
        if operator == "NOT_HAS_PROPERTY":
            return "0", []
        if operator in NUMERIC_OPERATORS:
            return f"{sql_column} {NUMERIC_OPERATORS[operator]} ?", [convert(value)]
        if operator == "BETWEEN":
            return f"{sql_column} BETWEEN ? AND ?", [convert(value), convert(high)]
        converted = [convert(v) for v in values]
        marks = ",".join("?" * len(converted))
        return f"{sql_column} {'IN' if operator == 'IN' else 'NOT IN'} ({marks})", converted

    def _search_order(self, object_type: str, sorts: list[Any]) -> str:
        if not sorts:
            return "id ASC"
        sort = sorts[0]
        if isinstance(sort, str):
            descending = sort.startswith("-")
            name = sort.lstrip("-")
        elif isinstance(sort, dict):
            name = sort.get("propertyName")
            descending = str(sort.get("direction") or "ASCENDING").upper() == "DESCENDING"
        else:
            raise StoreError(400, 'Invalid sort: use {"propertyName": ..., "direction": "ASCENDING"}.')
        name = self._check_property(object_type, name)
        direction = "DESC" if descending else "ASC"
        column = self._column_for(object_type, name)
        if column is not None:
            return f"{column[0]} {direction}, id {direction}"
        expr = f"json_extract(doc, '$.properties.\"{name}\"')"
        return f"({expr} IS NULL) ASC, hs_num({expr}) {direction}, lower({expr}) {direction}, id {direction}"

    # ------------------------------------------------------------------ rendering
    def render(
        self,
        object_type: str,
        doc: dict[str, Any],
        properties: list[str] | None,
        properties_with_history: list[str] | None,
        associations: dict[str, list[int]] | None,
        with_associations: bool,
    ) -> dict[str, Any]:
        """One object as HubSpot returns it (properties filtered, history only when asked)."""
        known = self.property_names(object_type)
        modified_property = MODIFIED_PROPERTY[object_type]
        if properties:
            names = {p for p in properties if p in known}
            names.update(("createdate", modified_property, "hs_object_id"))
        else:
            names = set(DEFAULT_PROPERTIES[object_type])
        stored = doc.get("properties") or {}
        object_id = str(doc["id"])
        out_props: dict[str, Any] = {}
        for name in sorted(names):
            value = stored.get(name)
            if value is None:
                if object_type == "deals" and name in STAGE_CALCULATED:
                    stage = (str(stored.get("pipeline")), str(stored.get("dealstage")))
                    value = stage_calculated(name, self.stage_metadata.get(stage))
                elif name == "hs_object_id":
                    value = object_id
                elif name == "createdate":
                    value = doc.get("createdAt")
                elif name == modified_property:
                    value = doc.get("updatedAt")
            out_props[name] = property_value(value)
        extra = self.extra_property
        if extra is not None:
            out_props[extra["name"]] = extra["value"]
        result: dict[str, Any] = {"id": object_id, "properties": out_props}
        if properties_with_history:
            history = doc.get("propertiesWithHistory") or {}
            out_history: dict[str, list[dict[str, Any]]] = {}
            for name in sorted({p for p in properties_with_history if p in known}):
                entries = history.get(name)
                if entries is None:
                    current = out_props.get(name) if name in out_props else stored.get(name)
                    if extra is not None and name == extra["name"]:
                        current = extra["value"]
                    entries = (
                        []
                        if current is None
                        else [
                            {
                                "value": property_value(current),
                                "timestamp": doc.get("createdAt"),
                                "sourceType": "CRM_UI",
                            }
                        ]
                    )
                out_history[name] = entries
            result["propertiesWithHistory"] = out_history
        result["createdAt"] = doc.get("createdAt")
        result["updatedAt"] = doc.get("updatedAt")
        result["archived"] = bool(doc.get("archived"))
        if doc.get("archived"):
            result["archivedAt"] = doc.get("archivedAt")
        if with_associations and associations:
            from_name = SINGULAR[object_type]
            result["associations"] = {
                target: {
                    "results": [{"id": str(i), "type": f"{from_name}_to_{SINGULAR[target]}"} for i in ids]
                }
                for target, ids in sorted(associations.items())
                if ids
            }
        return result

    # ------------------------------------------------------------------ admin writes
    def _next_timestamp(self) -> int:
        self.max_timestamp += 1000
        return self.max_timestamp

    def _save(self, object_type: str, doc: dict[str, Any]) -> None:
        modified = parse_timestamp((doc.get("properties") or {}).get(MODIFIED_PROPERTY[object_type])) or 0
        created = parse_timestamp((doc.get("properties") or {}).get("createdate")) or 0
        self._db.execute(
            f"INSERT OR REPLACE INTO obj_{object_type} (id, archived, last_modified, created, doc)"
            " VALUES (?,?,?,?,?)",
            (int(doc["id"]), 1 if doc.get("archived") else 0, modified, created, json.dumps(doc)),
        )

    def update(
        self,
        object_type: str,
        object_id: int,
        properties: dict[str, Any],
        updated_by_user_id: int | None = None,
    ) -> dict[str, Any]:
        """Sets properties, appends history for changed historied ones, bumps the modified time past all."""
        with self._lock:
            found = self.get(object_type, object_id)
            if found is None:
                raise StoreError(
                    404,
                    "Object not found.  objectId are usually numeric.",
                    "OBJECT_NOT_FOUND",
                    context={"id": [str(object_id)]},
                )
            doc, _ = found
            stamp = self._next_timestamp()
            iso = format_timestamp(stamp)
            props = doc.setdefault("properties", {})
            history = doc.setdefault("propertiesWithHistory", {})
            modified_property = MODIFIED_PROPERTY[object_type]
            for name, raw in properties.items():
                if not isinstance(name, str) or not _PROPERTY_NAME.match(name):
                    raise StoreError(400, f'Property "{name}" is not a valid property name.')
                value = property_value(raw)
                previous = props.get(name)
                props[name] = value
                self.schema[object_type].setdefault(name, value)
                if value != previous and (name in HISTORIED_PROPERTIES or name in history):
                    history.setdefault(name, []).insert(0, _history_entry(value, iso, updated_by_user_id))
            props[modified_property] = iso
            if modified_property in history:
                history[modified_property].insert(0, _history_entry(iso, iso, updated_by_user_id))
            props.setdefault("hs_object_id", str(object_id))
            doc["updatedAt"] = iso
            self._save(object_type, doc)
            return doc

    def archive(self, object_type: str, object_id: int) -> dict[str, Any]:
        with self._lock:
            found = self.get(object_type, object_id)
            if found is None:
                raise StoreError(
                    404,
                    "Object not found.  objectId are usually numeric.",
                    "OBJECT_NOT_FOUND",
                    context={"id": [str(object_id)]},
                )
            doc, archived = found
            if archived:
                return doc
            iso = format_timestamp(self._next_timestamp())
            doc["archived"] = True
            doc["archivedAt"] = iso
            doc["updatedAt"] = iso
            doc.setdefault("properties", {})[MODIFIED_PROPERTY[object_type]] = iso
            self._save(object_type, doc)
            return doc

    def create(
        self,
        object_type: str,
        properties: dict[str, Any],
        associations: dict[str, Iterable[Any]] | None = None,
    ) -> dict[str, Any]:
        """A new object with the next id, created (and modified) after every existing timestamp."""
        with self._lock:
            object_id = self.max_id[object_type] + 1
            self.max_id[object_type] = object_id
            iso = format_timestamp(self._next_timestamp())
            props = {name: property_value(value) for name, value in properties.items()}
            props.update(
                {"createdate": iso, MODIFIED_PROPERTY[object_type]: iso, "hs_object_id": str(object_id)}
            )
            for name, value in props.items():
                self.schema[object_type].setdefault(name, value)
            history = {
                name: [_history_entry(props[name], iso, None)]
                for name in HISTORIED_PROPERTIES
                if props.get(name) is not None
            }
            doc = {
                "id": str(object_id),
                "properties": props,
                "propertiesWithHistory": history,
                "createdAt": iso,
                "updatedAt": iso,
                "archived": False,
            }
            self._save(object_type, doc)
            for target, ids in (associations or {}).items():
                target_type = resolve_object_type(target)
                if target_type is None:
                    raise StoreError(400, f"Unable to infer object type from: {target}")
                for target_id in ids:
                    self._db.execute(
                        "INSERT OR IGNORE INTO assoc VALUES (?, ?, ?, ?)",
                        (object_type, object_id, target_type, int(target_id)),
                    )
                    self._db.execute(
                        "INSERT OR IGNORE INTO assoc VALUES (?, ?, ?, ?)",
                        (target_type, int(target_id), object_type, object_id),
                    )
            return doc

    # ------------------------------------------------------------------ properties API
    def property_definitions(self, object_type: str) -> list[dict[str, Any]]:
        extra_name = self.extra_property["name"] if self.extra_property else None
        samples = dict(self.schema[object_type])
        if extra_name is not None:
            samples.setdefault(extra_name, self.extra_property["value"])
        samples.setdefault("hs_object_id", "1")
        return [
            _property_definition(object_type, name, samples[name], name == extra_name)
            for name in sorted(samples)
        ]


def _history_entry(value: str | None, iso: str, user_id: int | None) -> dict[str, Any]:
    if user_id is not None:
        return {
            "value": value,
            "timestamp": iso,
            "sourceType": "CRM_UI",
            "sourceId": f"userId:{user_id}",
            "updatedByUserId": int(user_id),
        }
    return {"value": value, "timestamp": iso, "sourceType": "INTEGRATION", "sourceId": "emulator"}


def _property_definition(object_type: str, name: str, sample: Any, custom: bool) -> dict[str, Any]:
    defined = HUBSPOT_DEFINED[object_type].get(name)
    if defined is not None and not custom:
        kind, field = defined[0], defined[1]
    elif name in ENUMERATION_PROPERTIES:
        kind, field = "enumeration", "select"
    elif name in ("createdate", "lastmodifieddate", "hs_lastmodifieddate", "closedate") or (
        isinstance(sample, str) and len(sample) >= 20 and sample[4:5] == "-" and "T" in sample
    ):
        kind, field = "datetime", "date"
    elif name == "hs_object_id" or (isinstance(sample, str) and _NUMBER.match(sample)):
        kind, field = "number", "number"
    else:
        kind, field = "string", "text"
    return {
        "name": name,
        "label": name.replace("_", " ").strip().capitalize(),
        "type": kind,
        "fieldType": field,
        "description": "",
        "groupName": f"{SINGULAR[object_type]}information",
        "options": [] if custom else options(object_type, name),
        "displayOrder": -1,
        "calculated": name in STAGE_CALCULATED and object_type == "deals",
        "externalOptions": False,
        "hasUniqueValue": name == "hs_object_id",
        "hidden": False,
        "hubspotDefined": not custom,
        "modificationMetadata": {
            "archivable": custom,
            "readOnlyDefinition": not custom,
            "readOnlyValue": name in ("hs_object_id", "createdate", MODIFIED_PROPERTY[object_type]),
        },
        "formField": False,
        "archived": False,
    }


def _documented_stage_values(metadata: dict[str, Any]) -> bool:
    closed = metadata.get("isClosed")
    if closed is not None and str(closed).lower() not in ("true", "false"):
        return False
    try:
        return "probability" not in metadata or 0.0 <= float(metadata["probability"]) <= 1.0
    except (TypeError, ValueError):
        return False


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _id_key(value: Any) -> tuple[int, Any]:
    text = str(value)
    return (0, int(text)) if text.isdigit() else (1, text)
