"""Validate a form submission into a lead row: one usable contact, a submission time, normalised email/phone."""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from ingestion.common.parsing import FieldError, clean_text, normalize_email, normalize_phone
from ingestion.forms.shapes import Submission
from ingestion.forms.values import json_type, submitted_at as parse_submitted_at

TEXT_FIELDS = [
    "name", "company", "industry", "company_size", "message", "utm_source", "utm_medium", "utm_campaign", "channel",
    "utm_term", "utm_content", "attachments",  # attachments: file-upload links, space-separated
]

LEAD_COLUMNS: dict[str, dict[str, Any]] = {
    "submission_id": {"data_type": "text", "nullable": False},
    "form_tool": {"data_type": "text", "nullable": False},
    "form_id": {"data_type": "text"},
    "form_name": {"data_type": "text"},
    "submitted_at": {"data_type": "timestamp", "nullable": False},
    "email": {"data_type": "text"},
    "phone": {"data_type": "text"},
    **{name: {"data_type": "text"} for name in TEXT_FIELDS},
    "data_issues": {"data_type": "text"},
    "source_file": {"data_type": "text", "nullable": False},
    "source_row": {"data_type": "bigint", "nullable": False},
}


def to_lead(tool: str, submission: Submission) -> dict[str, Any]:
    """The lead row, or FieldError naming the first field that makes the submission unusable.

    An email or phone that is present but malformed is dropped from the row and noted in `data_issues`
    when the other contact is usable; when neither is usable the submission is quarantined.
    """
    for name, value in (("submission_id", submission.submission_id), ("form_id", submission.form_id),
                        ("form_name", submission.form_name)):
        if value is not None and not isinstance(value, (str, int)) or isinstance(value, bool):
            raise FieldError(name, value, f"{name}: expected text, got a JSON {json_type(value)}")
    if clean_text(submission.submission_id) is None:
        raise FieldError("submission_id", submission.submission_id, "submission has no id")
    submitted_at = parse_submitted_at(submission.submitted_at, submission.submitted_at_key)
    answers = submission.answers
    for name, value in answers.items():
        if isinstance(value, (dict, list)):
            raise FieldError(name, value, f"{name}: expected text, got a JSON {json_type(value)}")
    issues: list[FieldError] = []
    contacts: dict[str, str | None] = {}
    for name, normalise in (("email", normalize_email), ("phone", normalize_phone)):
        try:
            contacts[name] = normalise(name, answers.get(name))
        except FieldError as error:
            contacts[name] = None
            issues.append(error)
    if not contacts["email"] and not contacts["phone"]:
        if issues:
            raise issues[0]
        raise FieldError("email", None, "missing required field: a lead needs an email or a phone")
    row = {
        "submission_id": str(submission.submission_id),
        "form_tool": tool,
        "form_id": clean_text(submission.form_id),
        "form_name": clean_text(submission.form_name),
        "submitted_at": submitted_at,
        **contacts,
        **{name: clean_text(answers.get(name)) for name in TEXT_FIELDS},
        "data_issues": "; ".join(str(issue) for issue in issues) or None,
    }
    return row



ARROW_TYPES = {"text": pa.string(), "timestamp": pa.timestamp("us", tz="UTC"), "bigint": pa.int64()}
LEAD_SCHEMA = pa.schema(
    [pa.field(name, ARROW_TYPES[hint["data_type"]], nullable=hint.get("nullable", True)) for name, hint in LEAD_COLUMNS.items()]
)


def to_arrow(rows: list[dict[str, Any]]) -> pa.Table:
    """A batch of lead rows as an Arrow table with the declared column types."""
    return pa.Table.from_pylist(rows, schema=LEAD_SCHEMA)
