"""Typed values for CRM API rows (Salesforce, Pipedrive, ...): one parser per warehouse column type, and column names
as dlt normalises the vendors' field names."""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

Row = dict[str, Any]
Parser = Callable[[str, Any, str], Any]
Plan = list[tuple[str, str, Parser]]  # (field in the record, column, parser), in column order

from ingestion.common.parsing import FieldError, in_date_range, unexpected, utc

# dlt's default decimal column is decimal(38, 9): more integer digits fail the whole load, finer ones are rounded
DECIMAL_DIGITS, DECIMAL_SCALE = 29, 9
_STEP = Decimal(1).scaleb(-DECIMAL_SCALE)
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# 2026-03-05T14:02:11.000+0000 (Salesforce JSON), ...Z (Bulk CSV, Pipedrive v2), 2026-03-05 14:02:11 (Pipedrive v1)
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")

# -------------------------------------------------------------- column names (dlt's snake_case naming convention)
_REDUCE = str.maketrans("+-*@|", "x_xal")
_NOT_ALNUM = re.compile(r"[^a-zA-Z0-9_]+")
_WORD_BREAK = re.compile(r"([^_])([A-Z][a-z]+)")
_CASE_BREAK = re.compile(r"([a-z0-9])([A-Z])")
_RUNS = re.compile(r"_+")


def column_name(name: str) -> str:
    """`name` as dlt's snake_case convention writes it: StageName -> stage_name, Loss_Reason__c -> loss_reason_c,
    'Partner channel' -> partner_channel (so the loaded column is the name the rows already carry)."""
    text = _NOT_ALNUM.sub("_", name.strip().translate(_REDUCE))
    text = _CASE_BREAK.sub(r"\1_\2", _WORD_BREAK.sub(r"\1_\2", text)).lower()
    if text[:1].isdigit():
        text = "_" + text
    stripped = text.rstrip("_")
    return _RUNS.sub("_", stripped + "x" * (len(text) - len(stripped)))


# -------------------------------------------------------------- values
def _blank(value: Any) -> bool:
    return value is None or value == ""


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "list", bool: "boolean", str: "text"}.get(type(value), "number")


def as_text(field: str, value: Any, vendor: str) -> str | None:
    """Text as sent; numbers and booleans written as a CSV export writes them; '' -> None (Bulk CSV cannot tell
    '' from null, so REST and CSV rows agree). A JSON object or list is refused."""
    if _blank(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    raise FieldError(field, value, f"{field} is a JSON {_json_kind(value)} where {vendor} sends text; check the "
                                   f"field's type in {vendor} and report the record if it is a plain text field")


def as_json_text(field: str, value: Any, vendor: str) -> str | None:
    """Lists and objects kept whole as JSON text (keys sorted); plain values as text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else None
    return as_text(field, value, vendor)


def as_decimal(field: str, value: Any, vendor: str) -> Decimal | None:
    """A number (JSON number or its text) as Decimal, rounded to 9 places; too large or not a number -> FieldError."""
    if _blank(value):
        return None
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if isinstance(value, (bool, dict, list)) or not _NUMBER.fullmatch(text):
        raise FieldError(field, value, f"{field} is not a number: {value!r}; correct the value in {vendor}")
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise FieldError(field, value, f"{field} is not a number: {value!r}; correct the value in {vendor}") from None
    if number and number.adjusted() >= DECIMAL_DIGITS:
        raise FieldError(field, value, f"{field} {text} has more than {DECIMAL_DIGITS} digits before the decimal "
                                       f"point, more than the warehouse holds; correct the value in {vendor}")
    return number.quantize(_STEP) if number.as_tuple().exponent < -DECIMAL_SCALE else number


def as_integer(field: str, value: Any, vendor: str) -> int | None:
    """A whole number (JSON number, '120' or '120.0') that fits a bigint."""
    number = as_decimal(field, value, vendor)
    if number is None:
        return None
    if number != number.to_integral_value() or not -(2**63) <= number < 2**63:
        raise FieldError(field, value, f"{field} is not a whole number that fits 64 bits: {value!r}; correct the "
                                       f"value in {vendor}")
    return int(number)


def as_boolean(field: str, value: Any, vendor: str) -> bool | None:
    """JSON true/false, or 'true'/'false' as Bulk API CSV writes them."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise FieldError(field, value, f"{field} is not true or false: {value!r}; correct the value in {vendor}")


def _calendar(field: str, value: Any, vendor: str, form: re.Pattern[str], example: str,
              read: Callable[[str], Any]) -> Any:
    """`value` read by `read` when it is written in `form`; FieldError for another form or a day not on the
    calendar (2026-02-30)."""
    if not isinstance(value, str) or not form.fullmatch(value):
        raise FieldError(field, value, f"{field} is not {example}: {value!r}; correct the value in {vendor}")
    try:
        return read(value)
    except ValueError:
        raise FieldError(field, value, f"{field} is not on the calendar: {value!r}; correct the value in "
                                       f"{vendor}") from None


def as_date(field: str, value: Any, vendor: str) -> date | None:
    """A calendar day written 2026-03-05, within the warehouse's date range."""
    if _blank(value):
        return None
    day = _calendar(field, value, vendor, _DAY, "a date written YYYY-MM-DD", date.fromisoformat)
    return in_date_range(field, value, day)


def as_timestamp(field: str, value: Any, vendor: str) -> datetime | None:
    """A UTC datetime from 2026-03-05T14:02:11.000+0000, 2026-03-05T14:02:11Z or 2026-03-05 14:02:11 (UTC)."""
    if _blank(value):
        return None
    moment = _calendar(field, value, vendor, _MOMENT, "a date and time such as 2026-03-05T14:02:11Z",
                       datetime.fromisoformat)
    return utc(field, value, moment)


PARSERS: dict[str, Parser] = {
    "text": as_text, "json": as_json_text, "decimal": as_decimal, "bigint": as_integer, "bool": as_boolean,
    "date": as_date, "timestamp": as_timestamp,
}


def warehouse_type(kind: str) -> str:
    """The dlt data type of a column declared as `kind` (json columns are text)."""
    return "text" if kind == "json" else kind


def column_hints(plan: dict[str, tuple[str, str]], key: str = "id") -> dict[str, dict[str, Any]]:
    """dlt column hints of a declared table {column: (field, kind)}: the key column not null, the others nullable."""
    return {column: {"data_type": warehouse_type(kind), "nullable": column != key}
            for column, (_, kind) in plan.items()}


def record_reader(what: str, plan: Plan, vendor: str, id_field: str = "id") -> Callable[[Any], Row]:
    """The row function of one kind of record: each field typed for its column (null when the record lacks it);
    FieldError names the first unusable field, and also wraps an error no check foresaw (the record is quarantined,
    the page loads)."""
    id_column = next(column for name, column, _ in plan if name == id_field)

    def to_row(record: Any) -> Row:
        try:
            if not isinstance(record, dict):
                raise FieldError("record", record, f"a {what} record is not a JSON object; report the raw record")
            row = {column: parse(name, record.get(name), vendor) for name, column, parse in plan}
            if row[id_column] is None:
                raise FieldError(id_field, record.get(id_field), f"the {what} record has no {id_field}; report the "
                                                                 "raw record")
            return row
        except FieldError:
            raise
        except Exception as error:  # noqa: BLE001 - one bad record never stops more than itself
            raise unexpected(error, "record") from None

    return to_row
