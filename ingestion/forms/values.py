"""Values as form tools send them: submission times in the vendors' formats, JSON types checked with a reason."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from ingestion.common.parsing import FieldError, clean_text, utc

_UTC_SUFFIX = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?UTC$")
_HAS_CLOCK = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
_EPOCH_MS = (10**11, 10**13)  # 1973 .. 2286 in milliseconds
_FORMATS = "ISO 8601 such as 2025-03-05T10:22:01Z or +08:00, 2025-03-05 10:22:01 UTC, or epoch milliseconds"


def json_type(value: Any) -> str:
    """A value's JSON type name, as a person reading the payload would say it."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def expect(value: Any, kind: type, where: str, *, optional: bool = False) -> Any:
    """`value` when it has the JSON type the vendor documents (dict = object, list = array), else FieldError."""
    if value is None and optional:
        return kind()
    if not isinstance(value, kind):
        wanted = "object" if kind is dict else "array"
        raise FieldError(where, value, f"{where}: expected a JSON {wanted}, got {json_type(value)}")
    return value


def submitted_at(value: Any, where: str) -> datetime:
    """A UTC submission time; anything that is not a full timestamp is a FieldError naming `where` and the value.

    A value is never cut to a date: '2025-01-07' and '2025-01-07T25:00:00Z' are both refused.
    """
    if isinstance(value, bool):
        raise FieldError("submitted_at", value, f"{where}: not a timestamp: {value!r} (use {_FORMATS})")
    if isinstance(value, (int, float)):
        if not _EPOCH_MS[0] <= value < _EPOCH_MS[1]:
            reason = f"{where}: number {value!r} is not epoch milliseconds (use {_FORMATS})"
            raise FieldError("submitted_at", value, reason)
        return utc("submitted_at", value, datetime.fromtimestamp(value / 1000, tz=timezone.utc))
    text = clean_text(value)
    if text is None:
        raise FieldError("submitted_at", value, f"{where}: submission time is missing")
    if text.isdigit():
        return submitted_at(int(text), where)
    match = _UTC_SUFFIX.match(text)
    try:
        if not _HAS_CLOCK.match(text):
            raise ValueError
        parsed = datetime.fromisoformat(match.group(1) if match else text)
    except ValueError:
        raise FieldError("submitted_at", value, f"{where}: unparseable timestamp {value!r} (use {_FORMATS})") from None
    return utc("submitted_at", value, parsed)
