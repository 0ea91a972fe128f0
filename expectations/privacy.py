"""Mask the emails and phones that failing expectations report as examples, before results are shown or stored."""
from __future__ import annotations

import re
from typing import Any

# a column holding a contact in clear: email, phone, contact_email, phone_raw, ... (not email_domain or phone_hash)
PII_COLUMN = re.compile(r"(^|_)(email|phone|mobile|tel)(_|$)", re.IGNORECASE)
PROTECTED_SUFFIXES = ("_hash", "_domain", "_masked")
EXAMPLE_KEYS = ("partial_unexpected_list", "unexpected_list")
INDEX_KEYS = ("partial_unexpected_index_list", "unexpected_index_list")
_TOKEN = re.compile(r"[A-Za-z]+|[0-9]|[^\W\d_]+")
KEEP_LAST_DIGITS = 2


def is_pii_column(name: str | None) -> bool:
    return bool(name) and bool(PII_COLUMN.search(name)) and not name.lower().endswith(PROTECTED_SUFFIXES)


def mask_contact(value: Any) -> Any:
    """A malformed email or phone with its shape kept and its identity gone: each run of Latin letters becomes its
    first letter and ***, other letters (e.g. a name in Chinese) ***, every digit * but the last two of the value;
    punctuation and spaces stay. 'zhang.wei@@example' → 'z***.w***@@e***', '138-0013-800' → '***-****-*00';
    None stays None."""
    if value is None:
        return None
    text = str(value)
    digits = sum(character.isdigit() for character in text)
    seen = 0

    def _mask(match: re.Match) -> str:
        nonlocal seen
        token = match.group(0)
        if token.isdigit():
            seen += 1
            return token if seen > digits - KEEP_LAST_DIGITS else "*"
        return token[0] + "***" if token.isascii() else "***"

    return _TOKEN.sub(_mask, text)


def mask_result(result: dict[str, Any], column: str | None) -> dict[str, Any]:
    """The GX result of one expectation (a dict, changed in place and returned) with the examples of a PII column
    masked: unexpected values, their counts and the rows listed by id."""
    if not isinstance(result, dict):
        return result
    if is_pii_column(column):
        for key in EXAMPLE_KEYS:
            if isinstance(result.get(key), list):
                result[key] = [mask_contact(value) for value in result[key]]
        if isinstance(result.get("partial_unexpected_counts"), list):
            result["partial_unexpected_counts"] = [
                {**entry, "value": mask_contact(entry.get("value"))} if isinstance(entry, dict) else entry
                for entry in result["partial_unexpected_counts"]
            ]
    for key in INDEX_KEYS:  # rows listed by their ids may carry contact columns whatever the expectation's column
        if isinstance(result.get(key), list):
            result[key] = [
                {name: mask_contact(value) if is_pii_column(name) else value for name, value in row.items()}
                if isinstance(row, dict) else row
                for row in result[key]
            ]
    return result


def mask_validation(gx_result: Any) -> Any:
    """Every expectation result of a GX validation result masked (mask_result), in place; returns it."""
    for item in getattr(gx_result, "results", None) or []:
        kwargs = dict(item.expectation_config.kwargs)
        columns = [kwargs.get("column"), *(kwargs.get("column_list") or []), kwargs.get("column_A"),
                   kwargs.get("column_B")]
        pii = next((name for name in columns if is_pii_column(name)), None)
        if isinstance(item.result, dict):
            mask_result(item.result, pii)
    return gx_result
