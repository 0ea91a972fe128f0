"""A YAML CRM's records into canonical rows: dotted paths, `{placeholder}` templates, and each column's value read
as the file says (labels, value maps, time formats, units) and typed for its canonical column; a value that cannot be
used raises FieldError (the record is quarantined with its reason). Pure functions: no HTTP, no dlt."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.common.api_values import as_boolean, as_date, as_decimal, as_integer, as_text, as_timestamp
from ingestion.common.parsing import FieldError, in_date_range, unexpected, utc
from ingestion.rest_crm.columns import CANONICAL, key_of
from ingestion.rest_crm.spec import PLACEHOLDER, Column

MISSING = object()


def dig(record: Any, path: str) -> Any:
    """The value at a dotted path (`data.dataList`, `owner.0`); None when any step is missing."""
    value = record
    for step in path.split(".") if path and path != "$" else ():
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit():
            value = value[int(step)] if int(step) < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def render(template: Any, names: Mapping[str, Any]) -> Any:
    """`template` with its `{name}` placeholders filled from `names`; a string that is one placeholder keeps the
    value's type (a number stays a number in a JSON body). Unknown names stay as written."""
    if isinstance(template, dict):
        return {key: render(value, names) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, names) for value in template]
    if not isinstance(template, str):
        return template
    whole = PLACEHOLDER.fullmatch(template)
    if whole and whole.group(1) in names:
        return names[whole.group(1)]
    return PLACEHOLDER.sub(lambda found: str(names[found.group(1)]) if found.group(1) in names else found.group(0),
                           template)


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _epoch(field: str, value: Any, scale: int, vendor: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FieldError(field, value, f"{field} is not an epoch time in {'milliseconds' if scale == 1000 else 'seconds'}"
                                       f": {value!r}; correct the value in {vendor}")
    number = as_decimal(field, value, vendor)
    try:
        moment = datetime.fromtimestamp(float(number) / scale, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise FieldError(field, value, f"{field} {value!r} is not a time the calendar holds; correct the value in "
                                       f"{vendor}") from None
    return utc(field, value, moment)


def _moment(field: str, value: Any, how: str | None, zone: ZoneInfo, vendor: str) -> datetime:
    if how == "epoch_ms":
        return _epoch(field, value, 1000, vendor)
    if how == "epoch_s":
        return _epoch(field, value, 1, vendor)
    moment = as_timestamp(field, value, vendor) if isinstance(value, str) else None
    if moment is None:
        raise FieldError(field, value, f"{field} is not a date and time such as 2026-03-05T14:02:11+08:00: {value!r}; "
                                       f"correct the value in {vendor}")
    if isinstance(value, str) and value.strip()[10:] and not _has_offset(value):  # naive: the CRM's time zone
        moment = datetime.fromisoformat(value.strip()).replace(tzinfo=zone).astimezone(timezone.utc)
    return moment


def _has_offset(text: str) -> bool:
    tail = text.strip()[10:]
    return tail.endswith("Z") or "+" in tail or "-" in tail


def _typed(kind: str, field: str, value: Any, spec: Column, zone: ZoneInfo, vendor: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "text":
        return as_text(field, value, vendor)
    if kind in ("decimal", "double", "bigint"):
        number = as_decimal(field, value, vendor)
        if spec.multiply is not None:
            number = number * spec.multiply
        if kind == "double":
            return float(number)
        return as_integer(field, number, vendor) if kind == "bigint" else as_decimal(field, number, vendor)
    if kind == "bool":
        return as_boolean(field, value, vendor)
    if kind == "timestamp":
        return _moment(field, value, spec.format, zone, vendor)
    if kind == "date":
        if spec.format in (None, "date"):
            return as_date(field, value, vendor)
        day = _moment(field, value, spec.format, zone, vendor).astimezone(zone).date()
        return in_date_range(field, value, day)
    raise FieldError(field, value, f"no reader for {kind}")  # pragma: no cover - columns.py types are all above


def column_reader(table: str, column: str, spec: Column, labels: Callable[[str], Mapping[str, str]],
                  zone: ZoneInfo, vendor: str) -> Callable[[Any], Any]:
    """The function reading one column of `table` from a record."""
    kind = CANONICAL[table][column]
    field = spec.path or column

    def read(record: Any) -> Any:
        value = spec.value if spec.path is None else dig(record, spec.path)
        if spec.labels and value not in (None, ""):
            options = labels(spec.labels)
            values = value if isinstance(value, list) else [value]
            missing = [item for item in values if _key(item) not in options]
            if missing:
                raise FieldError(field, value, f"{field} value {missing[0]!r} is not an option of {spec.labels} in "
                                               f"{vendor}'s option labels; add the option in {vendor}, or report the "
                                               f"record")
            value = "; ".join(options[_key(item)] for item in values)
        if spec.map is not None and value is not None:
            mapped = spec.map.get(_key(value), MISSING)
            if mapped is MISSING:
                if spec.otherwise is None:
                    raise FieldError(field, value, f"{field} value {value!r} is not one of "
                                                   f"{', '.join(spec.map)} the file maps; add it under map")
                mapped = spec.otherwise
            value = mapped
        return _typed(kind, field, value, spec, zone, vendor)

    return read


def row_reader(table: str, columns: Mapping[str, Column], labels: Callable[[str], Mapping[str, str]],
               zone: ZoneInfo, vendor: str, what: str) -> Callable[[Any], dict[str, Any]]:
    """The row function of an endpoint: every canonical column of `table` (null where the file maps nothing);
    FieldError names the first unusable field; a record without its key is quarantined."""
    readers = {column: column_reader(table, column, spec, labels, zone, vendor) for column, spec in columns.items()}
    key = key_of(table)

    def to_row(record: Any) -> dict[str, Any]:
        if not isinstance(record, dict):
            raise FieldError("record", record, f"a {what} record is not a JSON object; report the raw record")
        try:
            row = {column: readers[column](record) if column in readers else None for column in CANONICAL[table]}
        except FieldError:
            raise
        except Exception as error:  # noqa: BLE001 - one bad record never stops more than itself
            raise unexpected(error, "record") from None
        if row[key] is None:
            field = columns[key].path or key
            raise FieldError(field, dig(record, field), f"the {what} record has no {field}; report the raw record")
        return row

    return to_row


def to_epoch_ms(value: Any, how: str, zone: ZoneInfo) -> int | None:
    """A record's change time as epoch milliseconds (the comparable incremental cursor); None when unreadable."""
    if value is None or value == "":
        return None
    try:
        moment = _moment("cursor", value, how, zone, "the CRM")
    except (FieldError, TypeError, ValueError):
        return None
    return int(round(moment.timestamp() * 1000))


def from_epoch_ms(value: int, how: str) -> Any:
    """The cursor written as the CRM's filter takes it, as text (a query param; fxiaoke's field_values are
    strings): epoch ms / s digits or ISO 8601 UTC."""
    if how == "epoch_ms":
        return str(int(value))
    if how == "epoch_s":
        return str(int(value) // 1000)
    return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

