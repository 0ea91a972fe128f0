"""Pipedrive records into typed raw rows: v2 deals with their custom fields named by dealFields, the stage moves of a
deal's changelog, persons, organizations, users (v1), stages and pipelines; each raw table's columns declared once."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Callable, Iterable

import pyarrow as pa

from ingestion.common.arrow_pages import arrow_schema
from ingestion.common.parsing import FieldError
from ingestion.pipedrive.settings import CUSTOM_FIELD_TYPES, DEAL_CHANGELOG, VENDOR
from ingestion.common.api_values import (
    PARSERS,
    Row,
    as_text,
    column_hints,
    column_name,
    record_reader,
    warehouse_type,
)

DEAL_STATUSES = ("open", "won", "lost")

# {column: (field in the record, kind)}: kind is a warehouse type, or json (lists and objects kept as JSON text)
DEAL_PLAN = {
    "id": ("id", "bigint"), "title": ("title", "text"), "owner_id": ("owner_id", "bigint"),
    "person_id": ("person_id", "bigint"), "org_id": ("org_id", "bigint"), "pipeline_id": ("pipeline_id", "bigint"),
    "stage_id": ("stage_id", "bigint"), "value": ("value", "decimal"), "currency": ("currency", "text"),
    "status": ("status", "text"), "lost_reason": ("lost_reason", "text"), "probability": ("probability", "decimal"),
    "expected_close_date": ("expected_close_date", "date"), "add_time": ("add_time", "timestamp"),
    "update_time": ("update_time", "timestamp"), "stage_change_time": ("stage_change_time", "timestamp"),
    "won_time": ("won_time", "timestamp"), "lost_time": ("lost_time", "timestamp"),
    "close_time": ("close_time", "timestamp"), "is_deleted": ("is_deleted", "bool"),
    "is_archived": ("is_archived", "bool"), "visible_to": ("visible_to", "bigint"),
    "label_ids": ("label_ids", "json"),
    "origin": ("origin", "text"),
}
# Emails and phones stay as Pipedrive sends them, as HubSpot's do in raw_hubspot: staging normalises and protects
# them (protected_email_columns / protected_phone_columns) and only the protected columns go further.
PERSON_PLAN = {
    "id": ("id", "bigint"), "name": ("name", "text"), "first_name": ("first_name", "text"),
    "last_name": ("last_name", "text"), "owner_id": ("owner_id", "bigint"), "org_id": ("org_id", "bigint"),
    "email": ("email", "text"), "phone": ("phone", "text"), "emails": ("emails", "json"),
    "phones": ("phones", "json"), "add_time": ("add_time", "timestamp"), "update_time": ("update_time", "timestamp"),
    "is_deleted": ("is_deleted", "bool"), "visible_to": ("visible_to", "bigint"), "label_ids": ("label_ids", "json"),
}
ORGANIZATION_PLAN = {
    "id": ("id", "bigint"), "name": ("name", "text"), "owner_id": ("owner_id", "bigint"),
    "address": ("address", "text"), "address_country": ("address_country", "text"),
    "add_time": ("add_time", "timestamp"), "update_time": ("update_time", "timestamp"),
    "is_deleted": ("is_deleted", "bool"), "visible_to": ("visible_to", "bigint"), "label_ids": ("label_ids", "json"),
}
USER_PLAN = {  # API v1: times are "2026-03-05 14:02:11" (UTC)
    "id": ("id", "bigint"), "name": ("name", "text"), "email": ("email", "text"), "phone": ("phone", "text"),
    "default_currency": ("default_currency", "text"), "locale": ("locale", "text"),
    "timezone_name": ("timezone_name", "text"), "role_id": ("role_id", "bigint"), "activated": ("activated", "bool"),
    "active_flag": ("active_flag", "bool"), "is_deleted": ("is_deleted", "bool"), "created": ("created", "timestamp"),
    "modified": ("modified", "timestamp"), "last_login": ("last_login", "timestamp"),
}
STAGE_PLAN = {
    "id": ("id", "bigint"), "name": ("name", "text"), "pipeline_id": ("pipeline_id", "bigint"),
    "order_nr": ("order_nr", "bigint"), "deal_probability": ("deal_probability", "decimal"),
    "is_deleted": ("is_deleted", "bool"), "is_deal_rot_enabled": ("is_deal_rot_enabled", "bool"),
    "days_to_rotten": ("days_to_rotten", "bigint"), "add_time": ("add_time", "timestamp"),
    "update_time": ("update_time", "timestamp"),
}
PIPELINE_PLAN = {
    "id": ("id", "bigint"), "name": ("name", "text"), "order_nr": ("order_nr", "bigint"),
    "is_deleted": ("is_deleted", "bool"), "is_deal_probability_enabled": ("is_deal_probability_enabled", "bool"),
    "add_time": ("add_time", "timestamp"), "update_time": ("update_time", "timestamp"),
}
STAGE_CHANGE_PLAN = {
    "change_id": ("change_id", "text"), "deal_id": ("deal_id", "bigint"), "from_stage_id": ("old_value", "bigint"),
    "to_stage_id": ("new_value", "bigint"), "changed_at": ("time", "timestamp"),
    "actor_user_id": ("actor_user_id", "bigint"), "change_source": ("change_source", "text"),
}
PLANS = {"deals": DEAL_PLAN, "deal_stage_changes": STAGE_CHANGE_PLAN, "pipelines": PIPELINE_PLAN,
         "stages": STAGE_PLAN, "persons": PERSON_PLAN, "organizations": ORGANIZATION_PLAN, "users": USER_PLAN}
KEYS = {table: "change_id" if table == "deal_stage_changes" else "id" for table in PLANS}
COLUMNS: dict[str, dict[str, dict[str, Any]]] = {table: column_hints(plan, KEYS[table]) for table, plan in
                                                 PLANS.items()}
SCHEMAS: dict[str, pa.Schema] = {table: arrow_schema(columns) for table, columns in COLUMNS.items()}


def _reader(table: str, what: str, id_field: str = "id") -> Callable[[Any], Row]:
    plan = [(field, column, PARSERS[kind]) for column, (field, kind) in PLANS[table].items()]
    return record_reader(what, plan, VENDOR, id_field)


# -------------------------------------------------------------- deals and their custom fields
_CUSTOM_KEY = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class CustomField:
    """A deal custom field: its 40-hex key, the column it loads into, the column's kind, for a monetary field the
    column of its currency, for an enum or set field its options (id, label)."""

    key: str
    column: str
    kind: str = "json"
    currency_column: str | None = None
    options: tuple[tuple[str, str], ...] = ()


def custom_fields(deal_fields: Iterable[dict[str, Any]]) -> dict[str, CustomField]:
    """The custom deal fields of GET /api/v1/dealFields by key: column named after the field's name in snake_case
    (`Partner channel` -> partner_channel); by its key where the name is taken by a deal column or an earlier
    field, or is blank."""
    taken = set(DEAL_PLAN)
    found: dict[str, CustomField] = {}
    for definition in deal_fields:
        key = str(definition.get("key") or "")
        if not _CUSTOM_KEY.fullmatch(key):
            continue
        name = str(definition.get("name") or "").strip()
        column = column_name(name) if name else column_name(key)
        if column in taken:
            column = column_name(key)
        kind = CUSTOM_FIELD_TYPES.get(str(definition.get("field_type")), "json")
        currency = f"{column}_currency" if definition.get("field_type") == "monetary" else None
        options = tuple((str(option.get("id")), str(option.get("label")))
                        for option in definition.get("options") or () if isinstance(option, dict))
        found[key] = CustomField(key, column, "text" if options else kind, currency, options)
        taken.update({column, currency} - {None})
    return found


def deal_columns(fields: dict[str, CustomField] | None = None) -> dict[str, dict[str, Any]]:
    """Column hints of `deals`: the standard columns, then each known custom field's (and its currency's)."""
    columns = dict(COLUMNS["deals"])
    for custom in (fields or {}).values():
        columns[custom.column] = {"data_type": warehouse_type(custom.kind), "nullable": True}
        if custom.currency_column:
            columns[custom.currency_column] = {"data_type": "text", "nullable": True}
    return columns


def deal_schema(fields: dict[str, CustomField] | None = None) -> pa.Schema:
    return arrow_schema(deal_columns(fields))


def deal_reader(fields: dict[str, CustomField] | None = None) -> Callable[[Any], Row]:
    """The row function of v2 deals: typed standard columns, status open|won|lost, and custom_fields spread into
    their columns, enum and set options as their labels (a key dealFields does not list loads under its own key,
    as JSON text)."""
    standard = _reader("deals", "deal")
    fields = fields or {}

    def to_row(deal: Any) -> Row:
        row = standard(deal)
        if row["status"] is not None and row["status"] not in DEAL_STATUSES:
            raise FieldError("status", deal["status"], f"deal status {deal['status']!r} is not open, won or lost; "
                                                       "correct the deal in Pipedrive")
        values = deal.get("custom_fields") or {}
        if not isinstance(values, dict):
            raise FieldError("custom_fields", values, "custom_fields is not a JSON object; report the raw record")
        for key, value in values.items():
            row.update(_custom_values(fields.get(key) or CustomField(key, column_name(key)), value))
        return row

    return to_row


def _custom_values(custom: CustomField, value: Any) -> Row:
    field = f"custom_fields.{custom.key}"
    if custom.currency_column:
        amount, currency = (value.get("value"), value.get("currency")) if isinstance(value, dict) else (value, None)
        return {custom.column: PARSERS[custom.kind](field, amount, VENDOR),
                custom.currency_column: as_text(f"{field}.currency", currency, VENDOR)}
    if custom.options and value is not None:  # enum: an option id; set: a list of them -> their labels
        labels = dict(custom.options)
        items = value if isinstance(value, list) else [value]
        value = ", ".join(labels.get(str(item), str(item)) for item in items)
    return {custom.column: PARSERS[custom.kind](field, value, VENDOR)}


# -------------------------------------------------------------- stage changes from a deal's changelog
def is_stage_move(item: Any) -> bool:
    field, value = DEAL_CHANGELOG.keep
    return isinstance(item, dict) and item.get(field) == value


def stage_change_reader(deal_id: int | str | None = None) -> Callable[[Any], Row]:
    """The row function of a deal's changelog stage moves (is_stage_move items): deal, from and to stage, when, by
    whom; change_id = <deal>-<epoch seconds>-<from>-<to> keys the row. The deal is `deal_id` (the {id} the changelog
    was read for), else the item's own deal_id."""
    shaped = _reader("deal_stage_changes", "deal changelog", id_field="new_value")

    def to_row(item: Any) -> Row:
        if isinstance(item, dict):
            item = {**item, "deal_id": item.get("deal_id") if deal_id is None else deal_id, "change_id": "-"}
        row = shaped(item)
        if row["deal_id"] is None or row["changed_at"] is None:
            missing = "deal_id" if row["deal_id"] is None else "time"
            raise FieldError(missing, None, f"the stage change has no {missing}; report the raw record")
        stamp = int(row["changed_at"].astimezone(timezone.utc).timestamp())
        row["change_id"] = f"{row['deal_id']}-{stamp}-{row['from_stage_id'] or ''}-{row['to_stage_id']}"
        return row

    return to_row


def stage_change_rows(items: Iterable[Any], deal_id: int | str | None = None) -> list[Row]:
    """The stage moves among a deal's changelog items, in time order (the API does not document its order);
    FieldError for the first unusable one."""
    to_row = stage_change_reader(deal_id)
    return sorted((to_row(item) for item in items if is_stage_move(item)), key=lambda row: row["changed_at"])


# -------------------------------------------------------------- persons, organizations, users, stages, pipelines
def _primary(field: str, entries: Any) -> Any:
    """The value of the primary entry of a v2 emails/phones list (else the first); None for an empty list."""
    if entries is None or entries == []:
        return None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise FieldError(field, entries, f"{field} is not a list of {{value, primary, label}} entries; report the "
                                         "raw record")
    return next((entry for entry in entries if entry.get("primary")), entries[0]).get("value")


def person_reader() -> Callable[[Any], Row]:
    shaped = _reader("persons", "person")

    def to_row(person: Any) -> Row:
        if isinstance(person, dict):
            person = {**person, "email": _primary("emails", person.get("emails")),
                      "phone": _primary("phones", person.get("phones"))}
        return shaped(person)

    return to_row


def organization_reader() -> Callable[[Any], Row]:
    shaped = _reader("organizations", "organization")

    def to_row(org: Any) -> Row:
        if isinstance(org, dict):
            address = org.get("address")
            if address is not None and not isinstance(address, dict):
                raise FieldError("address", address, "address is not a JSON object; report the raw record")
            org = {**org, "address": (address or {}).get("value"), "address_country": (address or {}).get("country")}
        return shaped(org)

    return to_row


def user_reader() -> Callable[[Any], Row]:
    return _reader("users", "user")


def stage_reader() -> Callable[[Any], Row]:
    return _reader("stages", "stage")


def pipeline_reader() -> Callable[[Any], Row]:
    return _reader("pipelines", "pipeline")
