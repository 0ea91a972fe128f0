"""Parse the cell values the shared parsers do not cover: text from any cell, months, whole numbers, funnel stages."""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from ingestion.common.parsing import FieldError, clean_text, is_blank, parse_date, plain_number, whole_number
from ingestion.spreadsheets.mapping import normalize_header

FUNNEL_STAGE_MAP = "dbt_project/seeds/funnel/funnel_stage_map.csv"
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")
_WHOLE_NUMBER = re.compile(r"^[-+]?\d+(\.0+)?$")


def as_text(value: Any) -> str | None:
    """Text of any cell: 500.0 → '500', a date cell → '2024-03-05'; blank → None."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return clean_text(value)


def parse_month(field: str, value: Any) -> date:
    """The first day of a month from 2025-03, 2025/3, 2025年3月, 202503, a date or a date cell."""
    if isinstance(value, (date, datetime)):
        return (value.date() if isinstance(value, datetime) else value).replace(day=1)
    if isinstance(value, int) and not isinstance(value, bool) and 190001 <= value <= 299912:
        value = str(value)
    text = clean_text(value)
    if text is None:
        raise FieldError(field, value, "month is missing")
    match = _MONTH.match(text)
    if match:
        year, month = int(match.group(1)), int(match.group(2) or match.group(3))
        if 1 <= month <= 12:
            return date(year, month, 1)
    else:
        try:
            return parse_date(field, value).replace(day=1)
        except FieldError:
            pass
    raise FieldError(field, value, f"unparseable month {value!r} (use 2025-03 or 2025年3月)")


def parse_integer(field: str, value: Any) -> int | None:
    """A whole number from 12, 12.0, '1,200'; blank → None."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return whole_number(field, value, value)
    text = plain_number(field, value, clean_text(value) or "", what="number")
    if not _WHOLE_NUMBER.match(text):
        raise FieldError(field, value, f"not a whole number: {value!r}")
    return whole_number(field, value, Decimal(text))


class StageVocabulary:
    """The funnel's stage values for one stage_source; matching ignores case, spaces and full-width forms."""

    def __init__(self, stage_source: str, stages: dict[str, str]) -> None:
        self.stage_source = stage_source
        self._exact = stages
        self._loose = {normalize_header(value): code for value, code in stages.items()}

    def code(self, field: str, value: Any) -> tuple[str, str]:
        """(value as written, stage code); FieldError telling the user to add an unknown value to the funnel map."""
        text = as_text(value)
        code = self._exact.get(text) if text else None
        if code is None and text:
            code = self._loose.get(normalize_header(text))
        if code is None:
            raise FieldError(
                field,
                value,
                f"unknown stage {text!r} for stage_source {self.stage_source}: add a row "
                f"'{self.stage_source},{text},<stage_code>' to {FUNNEL_STAGE_MAP}",
            )
        return text, code
