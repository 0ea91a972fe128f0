"""Turn one payload of each form tool (Typeform webhook, 金数据 push, flat export) into a flat submission."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingestion.common.parsing import FieldError


@dataclass
class Submission:
    """A form submission before validation: ids, the raw submission time and the mapped answers."""

    submission_id: str | None
    form_id: str | None
    form_name: str | None
    submitted_at: Any
    answers: dict[str, Any] = field(default_factory=dict)


def _require_object(payload: Any, what: str) -> dict:
    if not isinstance(payload, dict):
        raise FieldError(what, payload, f"expected a JSON object for {what}, got {type(payload).__name__}")
    return payload


def _typeform_answer_value(answer: dict) -> Any:
    kind = answer.get("type")
    value = answer.get(kind) if kind else None
    if kind == "choice" and isinstance(value, dict):
        return value.get("label") or value.get("other")
    if kind == "choices" and isinstance(value, dict):
        return ", ".join(value.get("labels") or [])
    return value


def typeform(payload: Any, mapping: dict) -> Submission:
    """Typeform webhook: {"event_type": "form_response", "form_response": {token, submitted_at, hidden, answers}}."""
    response = _require_object(_require_object(payload, "payload").get("form_response"), "form_response")
    answers: dict[str, Any] = {}
    by_ref = mapping.get("answers_by_ref", {})
    for answer in response.get("answers") or []:
        ref = (answer.get("field") or {}).get("ref")
        if ref in by_ref:
            answers[by_ref[ref]] = _typeform_answer_value(answer)
    for key, target in mapping.get("hidden", {}).items():
        value = (response.get("hidden") or {}).get(key)
        if value not in (None, ""):
            answers[target] = value
    definition = response.get("definition") or {}
    return Submission(
        submission_id=response.get("token"),
        form_id=response.get("form_id"),
        form_name=definition.get("title"),
        submitted_at=response.get("submitted_at"),
        answers=answers,
    )


def jinshuju(payload: Any, mapping: dict) -> Submission:
    """金数据 push: {"form": id, "form_name": ..., "entry": {"serial_number", "field_N", "created_at", ...}}."""
    payload = _require_object(payload, "payload")
    entry = _require_object(payload.get("entry"), "entry")
    answers = {
        target: entry.get(key) for key, target in mapping.get("entry_fields", {}).items() if entry.get(key) not in (None, "")
    }
    serial = entry.get("serial_number")
    form_id = payload.get("form")
    return Submission(
        submission_id=f"{form_id}-{serial}" if serial is not None and form_id else None,
        form_id=form_id,
        form_name=payload.get("form_name"),
        submitted_at=entry.get("created_at"),
        answers=answers,
    )


def export(payload: Any, mapping: dict) -> Submission:
    """A flat JSON object per line, keys named in the mapping."""
    payload = _require_object(payload, "payload")
    answers = {target: payload.get(key) for key, target in mapping.get("keys", {}).items() if payload.get(key) not in (None, "")}
    form = payload.get(mapping.get("form_key", "form"))
    return Submission(
        submission_id=payload.get(mapping.get("id_key", "submission_id")),
        form_id=form,
        form_name=form,
        submitted_at=payload.get(mapping.get("submitted_at_key", "submitted_at")),
        answers=answers,
    )


SHAPES = {"typeform": typeform, "jinshuju": jinshuju, "export": export}
