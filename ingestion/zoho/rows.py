"""Zoho CRM v8 records into typed raw rows of raw_zoho (pure: no HTTP, no dlt): each module's fields in dlt's
snake_case (Deal_Name -> deal_name, Reason_For_Loss__s -> reason_for_loss_s), lookups {name, id} flattened to
<field>_id / <field>_name, ids as text (19-digit strings), datetimes (2026-03-05T14:02:11+05:30) in UTC; a leads'
conversion from `$converted` / `$converted_detail`; the Stage_History of a deal; the stages of the pipelines
settings; the ids of deleted records. A bad value raises FieldError naming the field and what to do."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import pyarrow as pa

from ingestion.common.api_values import PARSERS, Row, as_decimal, as_text, column_name, record_reader
from ingestion.common.arrow_pages import arrow_schema
from ingestion.common.parsing import FieldError
from ingestion.zoho.settings import (
    ACCOUNTS, CONTACTS, DEALS, DELETED_FIELDS, LEADS, STAGE_HISTORY, USER_FIELDS, VENDOR, Field,
)

CONVERSION = {"converted_time": ("converted_time", "timestamp"), "converted_deal_id": ("deal", "text"),
              "converted_account_id": ("account", "text"), "converted_contact_id": ("contact", "text")}
STAGE_COLUMNS = {"id": "text", "pipeline_id": "text", "pipeline_name": "text", "pipeline_default": "bool",
                 "stage_id": "text", "stage_name": "text", "actual_value": "text", "display_order": "bigint",
                 "probability": "decimal", "forecast_type": "text", "forecast_category_name": "text"}


def _column(field: Field) -> str:
    return column_name(field.name.lstrip("$"))  # $converted -> converted


def _plan_columns(fields: Iterable[Field]) -> dict[str, str]:
    """{column: kind} of the fields, a lookup as two text columns <column>_id, <column>_name."""
    columns: dict[str, str] = {}
    for field in fields:
        if field.lookup:
            columns[f"{_column(field)}_id"] = columns[f"{_column(field)}_name"] = "text"
        else:
            columns[_column(field)] = field.kind
    return columns


def _hints(columns: dict[str, str], keys: tuple[str, ...] = ("id",)) -> dict[str, dict[str, Any]]:
    return {name: {"data_type": kind, "nullable": name not in keys} for name, kind in columns.items()}


_KINDS = {
    "users": _plan_columns(USER_FIELDS),
    "leads": {**_plan_columns(LEADS.fields), **{name: kind for name, (_, kind) in CONVERSION.items()}},
    "accounts": _plan_columns(ACCOUNTS.fields),
    "contacts": _plan_columns(CONTACTS.fields),
    "deals": _plan_columns(DEALS.fields),
    "deal_stage_history": {"id": "text", STAGE_HISTORY.parent_column: "text",
                           **_plan_columns(f for f in STAGE_HISTORY.fields if f.name != "id")},
    "stages": STAGE_COLUMNS,
    "deleted_records": _plan_columns(DELETED_FIELDS),
}
KEYS: dict[str, tuple[str, ...]] = {table: ("module", "id") if table == "deleted_records" else ("id",)
                                    for table in _KINDS}
COLUMNS: dict[str, dict[str, dict[str, Any]]] = {table: _hints(kinds, KEYS[table]) for table, kinds in _KINDS.items()}
SCHEMAS: dict[str, pa.Schema] = {table: arrow_schema(columns) for table, columns in COLUMNS.items()}


# -------------------------------------------------------------- records of a module (and of a related list)
def _lookup(field: str, value: Any) -> tuple[Any, Any]:
    """(id, name) of a lookup {name, id}; a plain value is a name without id (Pipeline as text); null -> nulls."""
    if value is None or value == "":
        return None, None
    if isinstance(value, dict):
        return value.get("id"), value.get("name")
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return None, value
    raise FieldError(field, value, f"{field} is not a lookup {{name, id}}: {value!r}; report the raw record")


def _flatten(record: Any, fields: tuple[Field, ...]) -> Any:
    """The record with each lookup replaced by <column>_id / <column>_name keys; anything else as it came."""
    if not isinstance(record, dict):
        return record
    flat = dict(record)
    for field in fields:
        if field.lookup:
            flat[f"{field.name}.id"], flat[f"{field.name}.name"] = _lookup(field.name, record.get(field.name))
    return flat


def module_reader(fields: tuple[Field, ...], what: str) -> Callable[[Any], Row]:
    """The row function of a module's records (Get Records `data` items): each field typed for its column, null
    where the record lacks it; FieldError names the first unusable field (Amount '12k', Closing_Date 2026-02-30)."""
    plan = []
    for field in fields:
        if field.lookup:
            plan += [(f"{field.name}.id", f"{_column(field)}_id", PARSERS["text"]),
                     (f"{field.name}.name", f"{_column(field)}_name", PARSERS["text"])]
        else:
            plan.append((field.name, _column(field), PARSERS[field.kind]))
    shaped = record_reader(what, plan, VENDOR)
    return lambda record: shaped(_flatten(record, fields))


def lead_reader() -> Callable[[Any], Row]:
    """Leads, with their conversion: `$converted` true and `$converted_detail` {converted_time, deal, account,
    contact (ids, or {name, id})} -> converted_time and the converted_*_id columns."""
    shaped = module_reader(LEADS.fields, "lead")

    def to_row(record: Any) -> Row:
        row = shaped(record)
        detail = record.get("$converted_detail") or {}
        if not isinstance(detail, dict):
            raise FieldError("$converted_detail", detail, "$converted_detail is not a JSON object; report the raw "
                                                          "record")
        for column, (key, kind) in CONVERSION.items():
            value = detail.get(key)
            if isinstance(value, dict):
                value = value.get("id")
            row[column] = PARSERS[kind](f"$converted_detail.{key}", value, VENDOR)
        return row

    return to_row


def stage_history_reader(deal_id: str | None = None) -> Callable[[Any], Row]:
    """A deal's Stage_History records (GET /crm/v8/Deals/{id}/Stage_History): the deal is `deal_id`, else the
    record's own `deal_id` key (the source puts the parent's id there)."""
    shaped = module_reader(STAGE_HISTORY.fields, "Stage_History")
    parent = STAGE_HISTORY.parent_column

    def to_row(record: Any) -> Row:
        row = shaped(record)
        row[parent] = as_text(parent, deal_id if deal_id is not None else record.get(parent), VENDOR)
        if row[parent] is None:
            raise FieldError(parent, None, "the Stage_History record has no deal; report the raw record")
        return {"id": row.pop("id"), parent: row.pop(parent), **row}

    return to_row


READERS: dict[str, Callable[[], Callable[[Any], Row]]] = {
    "users": lambda: module_reader(USER_FIELDS, "user"),
    "leads": lead_reader,
    "accounts": lambda: module_reader(ACCOUNTS.fields, "account"),
    "contacts": lambda: module_reader(CONTACTS.fields, "contact"),
    "deals": lambda: module_reader(DEALS.fields, "deal"),
    "deal_stage_history": stage_history_reader,
}


# -------------------------------------------------------------- deleted records
def deleted_reader(module: str | None = None) -> Callable[[Any], Row]:
    """Get Deleted Records items ({id, display_name, type, deleted_by, deleted_time, created_by}) of `module`
    (else the item's own `module` key)."""
    shaped = module_reader(DELETED_FIELDS, "deleted record")

    def to_row(record: Any) -> Row:
        if isinstance(record, dict) and module is not None:
            record = {**record, "module": module}
        row = shaped(record)
        if row["module"] is None:
            raise FieldError("module", None, "the deleted record names no module; report the raw record")
        return row

    return to_row


# -------------------------------------------------------------- stages of the pipelines settings
def stage_rows(pipeline: Any, probabilities: dict[str, Any] | None = None) -> list[Row]:
    """The stages (`maps`) of one pipeline of GET /crm/v8/settings/pipeline: pipeline, stage, display order
    (sequence_number), probability (the map's own, else the Stage picklist's for its actual_value), forecast type;
    id = <pipeline id>:<stage id>. FieldError for a pipeline or stage that cannot be read."""
    if not isinstance(pipeline, dict) or not isinstance(pipeline.get("maps"), list):
        raise FieldError("maps", pipeline, "the pipeline has no list of stages (maps); report the raw record")
    pipeline_id = as_text("id", pipeline.get("id"), VENDOR)
    if pipeline_id is None:
        raise FieldError("id", None, "the pipeline has no id; report the raw record")
    found = []
    for stage in pipeline["maps"]:
        if not isinstance(stage, dict) or stage.get("id") is None:
            raise FieldError("maps", stage, "a stage of the pipeline is not an object with an id; report the raw "
                                            "record")
        actual = as_text("maps.actual_value", stage.get("actual_value"), VENDOR)
        probability = stage.get("probability", (probabilities or {}).get(actual or ""))
        category = stage.get("forecast_category") or {}
        found.append({
            "id": f"{pipeline_id}:{stage['id']}", "pipeline_id": pipeline_id,
            "pipeline_name": as_text("display_value", pipeline.get("display_value"), VENDOR),
            "pipeline_default": PARSERS["bool"]("default", pipeline.get("default"), VENDOR),
            "stage_id": as_text("maps.id", stage["id"], VENDOR),
            "stage_name": as_text("maps.display_value", stage.get("display_value"), VENDOR),
            "actual_value": actual,
            "display_order": PARSERS["bigint"]("maps.sequence_number", stage.get("sequence_number"), VENDOR),
            "probability": as_decimal("maps.probability", probability, VENDOR),
            "forecast_type": as_text("maps.forecast_type", stage.get("forecast_type"), VENDOR),
            "forecast_category_name": as_text("maps.forecast_category.name", category.get("name")
                                              if isinstance(category, dict) else None, VENDOR),
        })
    return found


def stage_items(pipeline: Any, probabilities: Callable[[], dict[str, Any]]) -> list[dict[str, Any]]:
    """One item {id, pipeline with that one stage in `maps`} per stage of a pipeline, for stage_item_row (each
    counted and, when bad, quarantined alone); a stage without its own probability gets the picklist's
    (`probabilities()`, called only then). A pipeline without a list of stages is one item, quarantined."""
    maps = pipeline.get("maps") if isinstance(pipeline, dict) else None
    if not isinstance(maps, list):
        return [{"id": None, "pipeline": pipeline}]
    items = []
    for stage in maps:
        if isinstance(stage, dict) and "probability" not in stage:
            stage = {**stage, "probability": probabilities().get(str(stage.get("actual_value")))}
        items.append({"id": stage.get("id") if isinstance(stage, dict) else None,
                      "pipeline": {**pipeline, "maps": [stage]}})
    return items


def stage_item_row(item: Any) -> Row:
    """The row of one stage_items item."""
    return stage_rows(item.get("pipeline") if isinstance(item, dict) else item)[0]


def stage_probabilities(fields: Iterable[Any]) -> dict[str, Any]:
    """{actual_value: probability} of the Deals' Stage picklist (GET /crm/v8/settings/fields?module=Deals)."""
    for field in fields:
        if isinstance(field, dict) and field.get("api_name") == "Stage":
            return {str(value.get("actual_value")): value.get("probability")
                    for value in field.get("pick_list_values") or () if isinstance(value, dict)}
    return {}
