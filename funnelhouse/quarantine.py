"""The open quarantine of every source, grouped by reason, with an example row (contacts masked) and the fix."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from funnelhouse.transform import _query
from ingestion.connectors import SOURCES  # the one list of sources
_QUOTED = re.compile(r"'[^']*'")
_POSITION = re.compile(r"\b(row|line|column) \d+")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_DIGIT_RUN = re.compile(r"(?<![\d-])\+?\d[\d -]{5,}\d(?![\d-])")
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_PHONE_FIELDS = re.compile(r"phone|mobile|tel|电话|手机", re.IGNORECASE)
EXAMPLE_CHARS = 80  # an example value is cut to this many characters

MAP_STAGE = "add the value to dbt_project/seeds/funnel/funnel_stage_map.csv (source, source_stage, stage_code, " \
            "pipeline_id); the next ingest reads the affected files again"
# (words in the reason, the fix); the first match wins
FIXES: tuple[tuple[str, str], ...] = (
    ("unknown stage", MAP_STAGE),
    ("matches this file", "add an entry whose `files` glob matches the file to ingestion/spreadsheets/mapping.yaml"),
    ("header has no column", "add the file's header text to the field's aliases in ingestion/spreadsheets/mapping.yaml"
                             " (or set required: false if the funnel can do without it)"),
    ("unparseable date", "correct the date in the file; if the file writes day-first dates (31/01/2025), set "
                         "date_order: day_first on its entry in ingestion/spreadsheets/mapping.yaml"),
    ("unparseable timestamp", "correct the timestamp in the input (ISO 8601, e.g. 2025-03-05T10:22:01Z); for a "
                              "spreadsheet with day-first dates set date_order: day_first in mapping.yaml"),
    ("timestamp is missing", "the payload has no submission time: map the tool's time field in "
                             "ingestion/forms/forms.yaml or send it again"),
    ("missing required field", "fill the value in the input, or set required: false on the field in the mapping "
                               "(ingestion/spreadsheets/mapping.yaml) if the funnel can do without it"),
    ("duplicate", "keep one row per key (these rows differ): correct or delete one of them in the input"),
    ("file is empty", "export the file again, or delete it from the drop folder"),
    ("neither utf-8", "save the file as UTF-8 (or GBK), or set `encoding` on its entry in mapping.yaml"),
    ("malformed json", "the line is not valid JSON: send or export the payload again"),
    ("truncated", "the file ends mid-record: copy or export it again"),
    ("invalid phone", "correct the phone number in the input (an 11-digit mobile, or area code and number)"),
    ("negative", "correct the amount in the input (amounts are not negative)"),
    ("too large for the warehouse", "correct the number in the input (often a typo, or an id pasted into an amount "
                                    "column); the warehouse keeps at most 16 digits before the point"),
    ("is outside 1900-01-01", "correct the year in the input (0001 or 9999 is a placeholder, not a date)"),
    ("ambiguous", "write the number without the separator, or set decimal_separator on the file's entry in "
                  "ingestion/spreadsheets/mapping.yaml (',' when the sheet writes 12,3万 for 12.3万)"),
    ("has no saved value", "open and save the file in Excel (it calculates the formulas and saves their values), "
                           "then drop it into the folder again"),
    ("nested deeper", "the record is not a form payload: check the program that wrote the file"),
    ("outside the drop folder", "copy the file into the drop folder; links out of it are not followed"),
    ("utf-16 or binary", "save the file as CSV UTF-8"),
    ("could not be read past", "export or save the file again (it is damaged), then drop it into the folder again"),
    ("could not be read", "correct the row in the input; if it looks right, report it with its raw_record from "
                          "the quarantine table"),
    ("got a json", "the sender wrote a value of the wrong JSON type: fix the sender, or map the field in "
                   "ingestion/forms/forms.yaml"),
    ("expected a json", "the sender wrote a value of the wrong JSON type: fix the sender, or map the field in "
                        "ingestion/forms/forms.yaml"),
)
DEFAULT_FIX = "correct the value in the input file; the next ingest reads the file again"


@dataclass
class QuarantineGroup:
    """Quarantined rows of one source that share a reason once its values are stripped."""

    source: str
    pattern: str
    rows: int
    example_input: str
    example_row: int
    example_field: str
    example_value: str | None
    fix: str

    @property
    def example(self) -> str:
        value = "" if self.example_value is None else f", value {self.example_value!r}"
        where = "the whole file" if self.example_row == 0 else f"row {self.example_row}"
        return f"{self.example_input} {where}, field {self.example_field}{value}"


def reason_pattern(reason: str, input_name: str) -> str:
    """The reason with the input's name, quoted values and numbers stripped: rows with the same problem match."""
    text = reason.removeprefix(f"{input_name}: ")
    text = _QUOTED.sub("'…'", text)
    return _POSITION.sub(lambda m: f"{m.group(1)} N", text)


def _hide_digits(text: str) -> str:
    """All but the first three and last two digits as * (10 digits or more); all but the first when fewer."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    hidden = set(digits[3:-2]) if len(digits) >= 10 else set(digits[1:])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask(value: str | None, field: str = "") -> str | None:
    """An example value safe to print: emails as a***@domain, phone numbers (the whole value of a phone field, and
    any run of 7+ digits that is not a date) with their middle digits hidden; cut to EXAMPLE_CHARS characters."""
    if value is None:
        return None
    def run(match: re.Match) -> str:
        found = match.group(0)
        if _DATE_LIKE.match(found) or sum(ch.isdigit() for ch in found) < 7:
            return found
        return _hide_digits(found)

    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", value)  # masked before cut: no half an address
    text = _hide_digits(text) if _PHONE_FIELDS.search(field) else _DIGIT_RUN.sub(run, text)
    return text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS - 1] + "…"


def suggested_fix(reason: str) -> str:
    folded = reason.casefold()
    return next((fix for words, fix in FIXES if words in folded), DEFAULT_FIX)


def quarantine_tables(warehouse: Path) -> list[str]:
    """The sources whose raw dataset has a quarantine table (sources never loaded have none)."""
    rows = _query(warehouse, "select table_schema from information_schema.tables where table_name = 'quarantine'")
    schemas = {row[0] for row in rows}
    return [source for source in SOURCES if f"raw_{source}" in schemas]


def open_quarantine(warehouse: Path) -> list[QuarantineGroup]:
    """Every source's quarantine rows (each re-read input replaced its own: these are still bad), grouped by
    source and reason pattern, largest group first; the example is the group's first row by input and row."""
    groups: dict[tuple[str, str], QuarantineGroup] = {}
    for source in quarantine_tables(warehouse):
        rows = _query(warehouse, f"select input_name, row_number, field, raw_value, reason "
                                 f"from raw_{source}.quarantine order by input_name, row_number, field")
        for input_name, row_number, field, raw_value, reason in rows:
            key = (source, reason_pattern(reason, input_name))
            if key in groups:
                groups[key].rows += 1
                continue
            groups[key] = QuarantineGroup(source, key[1], 1, input_name, int(row_number), field,
                                          mask(raw_value, field), suggested_fix(reason))
    return sorted(groups.values(), key=lambda g: (-g.rows, g.source, g.pattern))
