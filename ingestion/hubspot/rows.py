"""Turn HubSpot API objects into warehouse rows: typed flat columns, history rows, association child rows."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common.incremental import epoch_ms as cursor_ms
from ingestion.common.parsing import DATE_RANGE, FieldError, unexpected, utc
from ingestion.hubspot.settings import (
    BOOLEAN_PROPERTIES,
    DECIMAL_PROPERTIES,
    DROPPED_PROPERTIES,
    INTEGER_PROPERTIES,
    RESERVED_COLUMNS,
    TIMESTAMP_PROPERTIES,
    ObjectSpec,
)

_EPOCH_MS = re.compile(r"^-?\d{10,}$")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_PLAIN_TYPES = (str, int, float, bool)
# dlt's default decimal column is decimal(38, 9): larger numbers fail the whole load, finer ones are rounded here
DECIMAL_INTEGER_DIGITS, DECIMAL_PLACES = 29, 9


# ------------------------------------------------------------------ values
def parse_timestamp(field: str, value: Any) -> datetime | None:
    """UTC datetime from ISO 8601 ('2024-03-05T10:00:00.000Z', '2024-03-05') or epoch ms; blank -> None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return utc(field, value, value)
    text = str(value).strip()
    try:
        if _EPOCH_MS.match(text):
            parsed = datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise FieldError(field, value, f"{field} is not a timestamp: {value!r}") from None
    return utc(field, value, parsed)


def epoch_ms(value: Any) -> int | None:
    """Epoch milliseconds of a HubSpot timestamp (ISO 8601 or epoch ms), or None when it is missing or unreadable
    (never raises)."""
    return cursor_ms(value, parse_timestamp)


def parse_decimal(field: str, value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not _NUMBER.match(text):
        raise FieldError(field, value, f"{field} is not a number: {value!r}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FieldError(field, value, f"{field} is not a number: {value!r}") from None
    if not number.is_finite():
        raise FieldError(field, value, f"{field} is not a finite number: {value!r}")
    if number and number.adjusted() >= DECIMAL_INTEGER_DIGITS:
        raise FieldError(
            field, value,
            f"{field} {text} is too large for the warehouse (at most {DECIMAL_INTEGER_DIGITS} digits before the "
            "decimal point); correct it in HubSpot",
        )
    exponent = number.as_tuple().exponent
    return number.quantize(Decimal(1).scaleb(-DECIMAL_PLACES)) if exponent < -DECIMAL_PLACES else number


def parse_integer(field: str, value: Any) -> int | None:
    number = parse_decimal(field, value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise FieldError(field, value, f"{field} is not a whole number: {value!r}")
    if not -(2**63) <= number < 2**63:
        raise FieldError(field, value, f"{field} {value!r} is too large for the warehouse (a 64-bit whole number); "
                                       "correct it in HubSpot")
    return int(number)


def parse_boolean(field: str, value: Any) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise FieldError(field, value, f"{field} is not true/false: {value!r}")


def property_value(name: str, value: Any) -> Any:
    """One property value typed for its column; FieldError when it is something this source cannot use."""
    if value is not None and not isinstance(value, _PLAIN_TYPES):
        raise FieldError(
            name,
            value,
            f"property {name!r} has an unsupported value type {type(value).__name__} (expected a string)",
        )
    if name in DECIMAL_PROPERTIES:
        return parse_decimal(name, value)
    if name in INTEGER_PROPERTIES:
        return parse_integer(name, value)
    if name in TIMESTAMP_PROPERTIES:
        return parse_timestamp(name, value)
    if name in BOOLEAN_PROPERTIES:
        return parse_boolean(name, value)
    if value is None or isinstance(value, str):
        return value
    return str(value).lower() if isinstance(value, bool) else str(value)


def _column_type(name: str) -> str:
    if name in DECIMAL_PROPERTIES:
        return "decimal"
    if name in INTEGER_PROPERTIES:
        return "bigint"
    if name in TIMESTAMP_PROPERTIES:
        return "timestamp"
    if name in BOOLEAN_PROPERTIES:
        return "bool"
    return "text"


def column_name(property_name: str) -> str:
    return f"property_{property_name}" if property_name in RESERVED_COLUMNS else property_name


# ------------------------------------------------------------------ schema
def object_columns(spec: ObjectSpec) -> dict[str, dict[str, Any]]:
    """Column hints of an object table: the fixed columns, then every requested property typed."""
    columns: dict[str, dict[str, Any]] = {
        "id": {"data_type": "text", "nullable": False},
        "created_at": {"data_type": "timestamp", "nullable": True},
        "updated_at": {"data_type": "timestamp", "nullable": True},
        "archived": {"data_type": "bool", "nullable": False},
        "archived_at": {"data_type": "timestamp", "nullable": True},
    }
    for name in spec.properties:
        if name not in DROPPED_PROPERTIES:
            columns[column_name(name)] = {"data_type": _column_type(name), "nullable": True}
    return columns


def history_columns(spec: ObjectSpec) -> dict[str, dict[str, Any]]:
    return {
        f"{spec.singular}_id": {"data_type": "text", "nullable": False},
        spec.history_value_column: {"data_type": "text", "nullable": False},
        "changed_at": {"data_type": "timestamp", "nullable": False},
        "source_type": {"data_type": "text", "nullable": True},
        "source_id": {"data_type": "text", "nullable": True},
        "updated_by_user_id": {"data_type": "bigint", "nullable": True},
    }


def history_key(spec: ObjectSpec) -> list[str]:
    return [f"{spec.singular}_id", "changed_at", spec.history_value_column]


# ------------------------------------------------------------------ objects
def object_id(obj: Any) -> str:
    raw = obj.get("id") if isinstance(obj, dict) else None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FieldError("id", raw, "object has no id")
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit():
        raise FieldError("id", raw, f"object id is not numeric: {raw!r}")
    return text


def object_rows(spec: ObjectSpec, obj: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the object's row with its associations as a nested list, its history rows), or FieldError, also for an
    exception no check foresaw (the object is quarantined, the page loads)."""
    row = object_row(spec, obj)
    return row, object_history(spec, row["id"], obj)


def object_row(spec: ObjectSpec, obj: Any) -> dict[str, Any]:
    """The object's row with its associations as a nested list (object_rows without the history)."""
    try:
        return _object_row(spec, obj)
    except FieldError:
        raise
    except Exception as error:  # noqa: BLE001 - one bad object never stops more than itself
        raise unexpected(error, "record") from None


def object_history(spec: ObjectSpec, oid: str, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The history rows of an object whose row was read (object_rows' second half)."""
    try:
        return history_rows(spec, oid, obj.get("propertiesWithHistory"))
    except FieldError:
        raise
    except Exception as error:  # noqa: BLE001 - one bad object never stops more than itself
        raise unexpected(error, "record") from None


def _object_row(spec: ObjectSpec, obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise FieldError("record", obj, f"expected a JSON object, got {type(obj).__name__}")
    oid = object_id(obj)
    properties = obj.get("properties") or {}
    if not isinstance(properties, dict):
        raise FieldError("properties", properties, "properties is not a JSON object")
    row: dict[str, Any] = {
        "id": oid,
        "created_at": parse_timestamp("createdAt", obj.get("createdAt")),
        "updated_at": parse_timestamp("updatedAt", obj.get("updatedAt")),
        "archived": bool(obj.get("archived")),
        "archived_at": parse_timestamp("archivedAt", obj.get("archivedAt")),
    }
    for name, value in properties.items():
        if name in DROPPED_PROPERTIES:
            continue
        row[column_name(name)] = property_value(name, value)
    row["associations"] = association_rows(spec, oid, obj.get("associations"))
    return row


def history_rows(spec: ObjectSpec, oid: str, history: Any) -> list[dict[str, Any]]:
    """One row per change of the history property (HubSpot lists them newest first; order is irrelevant)."""
    if spec.history_property is None or not history:
        return []
    field = f"propertiesWithHistory.{spec.history_property}"
    entries = history.get(spec.history_property) if isinstance(history, dict) else history
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise FieldError(field, entries, f"{field} is not a list")
    rows = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise FieldError(field, entry, f"{field} has an entry that is not a JSON object")
        changed_at = parse_timestamp(f"{field}.timestamp", entry.get("timestamp"))
        if changed_at is None:
            raise FieldError(field, entry, f"{field} has an entry without a timestamp")
        value = entry.get("value")
        if value is not None and not isinstance(value, _PLAIN_TYPES):
            raise FieldError(field, entry, f"{field} has a value of unsupported type {type(value).__name__}")
        user = entry.get("updatedByUserId")
        rows.append(
            {
                f"{spec.singular}_id": oid,
                spec.history_value_column: "" if value is None else str(value),
                "changed_at": changed_at,
                "source_type": entry.get("sourceType"),
                "source_id": None if entry.get("sourceId") is None else str(entry.get("sourceId")),
                "updated_by_user_id": parse_integer(f"{field}.updatedByUserId", user),
            }
        )
    return rows


_ISO_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"  # HubSpot's own form: 2024-03-05T10:00:00.000Z
_UTC_US = pa.timestamp("us", tz="UTC")
_IN_RANGE = (pa.scalar(datetime.combine(DATE_RANGE[0], datetime.min.time(), timezone.utc), _UTC_US),
             pa.scalar(datetime.combine(DATE_RANGE[1], datetime.max.time(), timezone.utc), _UTC_US))
_INT64 = (-(2**63), 2**63)


def history_table(spec: ObjectSpec, oids: list[str], objs: list[dict[str, Any]],
                  schema: pa.Schema) -> pa.Table | None:
    """The history rows of a page's objects (whose rows were read) as one Arrow table of `schema`, the values
    decided column-wise: the timestamps parsed and range-checked by pyarrow.compute in one go. None when an entry is
    not in the plain form HubSpot sends (a timestamp not `...T..:..:..[.fff]Z`, a non-text value or source type, a
    user id that is not a whole number): the page is then shaped object by object (object_history), which says
    what is wrong and quarantines just that object."""
    prop = spec.history_property
    ids: list[str] = []
    values: list[str] = []
    stamps: list[Any] = []
    kinds: list[Any] = []
    sources: list[Any] = []
    users: list[Any] = []
    for oid, obj in zip(oids, objs):
        history = obj.get("propertiesWithHistory")
        if not history:
            continue
        entries = history.get(prop) if isinstance(history, dict) else history
        if entries is None:
            continue
        if type(entries) is not list:
            return None
        for entry in entries:
            if type(entry) is not dict:
                return None
            value, kind, source, user = (entry.get("value"), entry.get("sourceType"), entry.get("sourceId"),
                                         entry.get("updatedByUserId"))
            if not ((value is None or type(value) is str) and (kind is None or type(kind) is str)
                    and (user is None or (type(user) is int and _INT64[0] <= user < _INT64[1]))):
                return None
            ids.append(oid)
            values.append("" if value is None else value)
            stamps.append(entry.get("timestamp"))
            kinds.append(kind)
            sources.append(None if source is None else str(source))
            users.append(user)
    try:
        text = pa.array(stamps, pa.string())
    except (pa.ArrowException, TypeError):
        return None
    if text.null_count or pc.all(pc.match_substring_regex(text, _ISO_UTC)).as_py() is False:
        return None
    try:
        changed_at = pc.cast(text, _UTC_US)
    except pa.ArrowException:  # e.g. month 13: the one-by-one route names it
        return None
    if len(changed_at) and (pc.less(pc.min(changed_at), _IN_RANGE[0]).as_py()
                            or pc.greater(pc.max(changed_at), _IN_RANGE[1]).as_py()):
        return None
    columns = [pa.array(ids, pa.string()), pa.array(values, pa.string()), changed_at, pa.array(kinds, pa.string()),
               pa.array(sources, pa.string()), pa.array(users, pa.int64())]
    return pa.Table.from_arrays(columns, schema=schema)


def association_rows(spec: ObjectSpec, oid: str, associations: Any) -> list[dict[str, Any]]:
    """{<singular>_id, to_object_type, to_id, association_types} per associated object, each pair once."""
    if not associations:
        return []
    if not isinstance(associations, dict):
        raise FieldError("associations", associations, "associations is not a JSON object")
    found: dict[tuple[str, str], list[str]] = {}
    for to_type, block in sorted(associations.items()):
        results = block.get("results") if isinstance(block, dict) else block
        for item in results or []:
            to_id = item.get("id") if isinstance(item, dict) else item
            if to_id is None or not str(to_id).strip():
                raise FieldError(f"associations.{to_type}", item, "association without an id")
            kinds = found.setdefault((to_type, str(to_id)), [])
            kind = item.get("type") if isinstance(item, dict) else None
            if kind and kind not in kinds:
                kinds.append(str(kind))
    return [
        {
            f"{spec.singular}_id": oid,
            "to_object_type": to_type,
            "to_id": to_id,
            "association_types": ",".join(kinds) or None,
        }
        for (to_type, to_id), kinds in found.items()
    ]


NO_ASSOCIATIONS = "no_associations"  # marker column (dlt hard_delete): an object re-loaded without associations


def association_table(spec: ObjectSpec) -> str:
    """The flat association table of `spec`'s objects: deal_associations, contact_associations."""
    return f"{spec.singular}_associations"


def association_columns(spec: ObjectSpec) -> dict[str, dict[str, Any]]:
    """Column hints of the association table. Merged on the object id (delete-insert): a re-loaded object's rows
    replace its old ones, as dlt's nested merge replaced its children; an object re-loaded with none sends one
    marker row (`no_associations` true, dlt's hard_delete) that deletes its old rows and is not inserted itself."""
    return {
        f"{spec.singular}_id": {"data_type": "text", "nullable": False, "merge_key": True},
        "to_object_type": {"data_type": "text", "nullable": True},
        "to_id": {"data_type": "text", "nullable": True},
        "association_types": {"data_type": "text", "nullable": True},
        "association_position": {"data_type": "bigint", "nullable": True},
        NO_ASSOCIATIONS: {"data_type": "bool", "nullable": True, "hard_delete": True},
    }


def association_page(spec: ObjectSpec, rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """The association rows of a page's object rows (their `associations` lists, removed from the rows) as one
    Arrow table of `schema`: each association with its position in the object's list (what dlt's `_dlt_list_idx`
    gave), and one marker row per object without any."""
    key = f"{spec.singular}_id"
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for row in rows:
        links = row.pop("associations", None) or []
        if not links:
            for name, value in ((key, row["id"]), ("to_object_type", None), ("to_id", None),
                                ("association_types", None), ("association_position", None),
                                (NO_ASSOCIATIONS, True)):
                columns[name].append(value)
            continue
        for position, link in enumerate(links):
            columns[key].append(link[key])
            columns["to_object_type"].append(link["to_object_type"])
            columns["to_id"].append(link["to_id"])
            columns["association_types"].append(link["association_types"])
            columns["association_position"].append(position)
            columns[NO_ASSOCIATIONS].append(None)
    return pa.table(columns, schema=schema)


# ------------------------------------------------------------------ owners and pipelines
OWNER_COLUMNS: dict[str, dict[str, Any]] = {
    "id": {"data_type": "text", "nullable": False},
    "email": {"data_type": "text", "nullable": True},
    "first_name": {"data_type": "text", "nullable": True},
    "last_name": {"data_type": "text", "nullable": True},
    "user_id": {"data_type": "bigint", "nullable": True},
    "type": {"data_type": "text", "nullable": True},
    "primary_team_id": {"data_type": "text", "nullable": True},
    "primary_team_name": {"data_type": "text", "nullable": True},
    "created_at": {"data_type": "timestamp", "nullable": True},
    "updated_at": {"data_type": "timestamp", "nullable": True},
    "archived": {"data_type": "bool", "nullable": False},
}


def owner_row(owner: Any) -> dict[str, Any]:
    """An owner with its primary team flattened and all its teams as a nested list (-> owners__teams); FieldError
    also for an exception no check foresaw."""
    try:
        return _owner_row(owner)
    except FieldError:
        raise
    except Exception as error:  # noqa: BLE001 - one bad owner never stops more than itself
        raise unexpected(error, "record") from None


def _owner_row(owner: Any) -> dict[str, Any]:
    if not isinstance(owner, dict):
        raise FieldError("record", owner, f"expected a JSON object, got {type(owner).__name__}")
    oid = object_id(owner)
    teams = owner.get("teams") or []
    if not isinstance(teams, list):
        raise FieldError("teams", teams, "teams is not a list")
    team_rows = []
    for team in teams:
        if not isinstance(team, dict) or team.get("id") is None:
            raise FieldError("teams", team, "team without an id")
        team_rows.append(
            {
                "owner_id": oid,
                "team_id": str(team["id"]),
                "team_name": team.get("name"),
                "is_primary": bool(team.get("primary")),
            }
        )
    primary = next((t for t in team_rows if t["is_primary"]), None)
    return {
        "id": oid,
        "email": owner.get("email"),
        "first_name": owner.get("firstName"),
        "last_name": owner.get("lastName"),
        "user_id": parse_integer("userId", owner.get("userId")),
        "type": owner.get("type"),
        "primary_team_id": primary["team_id"] if primary else None,
        "primary_team_name": primary["team_name"] if primary else None,
        "created_at": parse_timestamp("createdAt", owner.get("createdAt")),
        "updated_at": parse_timestamp("updatedAt", owner.get("updatedAt")),
        "archived": bool(owner.get("archived")),
        "teams": team_rows,
    }


PIPELINE_COLUMNS: dict[str, dict[str, Any]] = {
    "id": {"data_type": "text", "nullable": False},
    "object_type": {"data_type": "text", "nullable": False},
    "label": {"data_type": "text", "nullable": True},
    "display_order": {"data_type": "bigint", "nullable": True},
    "archived": {"data_type": "bool", "nullable": False},
    "created_at": {"data_type": "timestamp", "nullable": True},
    "updated_at": {"data_type": "timestamp", "nullable": True},
}
STAGE_COLUMNS: dict[str, dict[str, Any]] = {
    "pipeline_id": {"data_type": "text", "nullable": False},
    "stage_id": {"data_type": "text", "nullable": False},
    "label": {"data_type": "text", "nullable": True},
    "display_order": {"data_type": "bigint", "nullable": True},
    "is_closed": {"data_type": "bool", "nullable": True},
    "probability": {"data_type": "decimal", "nullable": True},
    "archived": {"data_type": "bool", "nullable": False},
    "created_at": {"data_type": "timestamp", "nullable": True},
    "updated_at": {"data_type": "timestamp", "nullable": True},
}


def pipeline_rows(object_type: str, pipeline: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the pipeline row, one row per stage with metadata.isClosed / metadata.probability typed)."""
    pid = str(pipeline["id"])
    row = {
        "id": pid,
        "object_type": object_type,
        "label": pipeline.get("label"),
        "display_order": parse_integer("displayOrder", pipeline.get("displayOrder")),
        "archived": bool(pipeline.get("archived")),
        "created_at": parse_timestamp("createdAt", pipeline.get("createdAt")),
        "updated_at": parse_timestamp("updatedAt", pipeline.get("updatedAt")),
    }
    stages = []
    for stage in pipeline.get("stages") or []:
        metadata = stage.get("metadata") or {}
        stages.append(
            {
                "pipeline_id": pid,
                "stage_id": str(stage["id"]),
                "label": stage.get("label"),
                "display_order": parse_integer("displayOrder", stage.get("displayOrder")),
                "is_closed": parse_boolean("metadata.isClosed", metadata.get("isClosed")),
                "probability": parse_decimal("metadata.probability", metadata.get("probability")),
                "archived": bool(stage.get("archived")),
                "created_at": parse_timestamp("createdAt", stage.get("createdAt")),
                "updated_at": parse_timestamp("updatedAt", stage.get("updatedAt")),
            }
        )
    return row, stages
