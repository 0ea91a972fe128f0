"""Turn one payload of each form tool (Typeform webhook, 金数据 push, flat export) into a flat submission."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ingestion.common.parsing import FieldError
from ingestion.forms.settings import LEAD_FIELDS, ExportSettings, JinshujuSettings, TypeformSettings
from ingestion.forms.values import expect, json_type


@dataclass
class Submission:
    """A form submission before validation: ids, the raw submission time (and where it was) and the mapped answers."""

    submission_id: str | None
    form_id: str | None
    form_name: str | None
    submitted_at: Any
    answers: dict[str, Any] = field(default_factory=dict)
    submitted_at_key: str = "submitted_at"


# --- Typeform -------------------------------------------------------------------------------------
TYPEFORM_TYPES = {"email": "email", "phone_number": "phone", "file_upload": "attachments", "file_url": "attachments"}


def _typeform_value(answer: dict) -> Any:
    """The answer's value under its `type` key: text, email, phone_number, url, file_url, number, boolean, date,
    choice {label, other} or choices {labels, other}."""
    kind = answer.get("type")
    value = answer.get(kind) if isinstance(kind, str) else None
    if kind == "choice" and isinstance(value, dict):
        return value.get("label") or value.get("other")
    if kind == "choices" and isinstance(value, dict):
        labels = [label for label in value.get("labels") or [] if isinstance(label, str)]
        return ", ".join(labels + ([value["other"]] if isinstance(value.get("other"), str) else [])) or None
    return None if isinstance(value, (dict, list)) else value


def _typeform_target(answer: dict, where: str, titles: dict, settings: TypeformSettings) -> tuple[int, str] | None:
    """(preference, lead field) of one answer: 0 by field type, 1 by field.ref, 2 by words in the field's title."""
    answer_field = expect(answer.get("field"), dict, f"{where}.field", optional=True)
    for kind in (answer_field.get("type"), answer.get("type")):
        if kind in TYPEFORM_TYPES:
            return 0, TYPEFORM_TYPES[kind]
    ref = answer_field.get("ref")
    if isinstance(ref, str):
        target = settings.answers_by_ref.get(ref) or (ref if ref in LEAD_FIELDS else None)
        if target:
            return 1, target
    title = titles.get(answer_field.get("id"))
    if isinstance(title, str):
        folded = title.casefold()
        for target, words in settings.title_keywords.items():
            if any(word.casefold() in folded for word in words):
                return 2, target
    return None


def _hidden_values(response: dict, settings: TypeformSettings) -> dict[str, Any]:
    """Lead fields from hidden fields, then from text variables of the same names (hidden wins)."""
    hidden = expect(response.get("hidden"), dict, "form_response.hidden", optional=True)
    variables = expect(response.get("variables"), list, "form_response.variables", optional=True)
    values: dict[str, Any] = {}
    named = [(item.get("key"), item.get("text")) for item in variables if isinstance(item, dict)]
    for key, value in [*hidden.items(), *named]:
        target = settings.hidden.get(key) if isinstance(key, str) else None
        if target and target not in values and value not in (None, ""):
            if isinstance(value, (dict, list)):
                where = f"form_response.hidden.{key}"
                raise FieldError(where, value, f"{where}: expected text, got a JSON {json_type(value)}")
            values[target] = value
    return values


def typeform(payload: Any, settings: TypeformSettings) -> Submission:
    """Typeform webhook {"event_type": "form_response", "form_response": {token, submitted_at, definition, answers,
    hidden, variables}}: a stock form maps with no configuration."""
    response = expect(expect(payload, dict, "payload").get("form_response"), dict, "form_response")
    answers = expect(response.get("answers"), list, "form_response.answers", optional=True)
    definition = expect(response.get("definition"), dict, "form_response.definition", optional=True)
    fields = expect(definition.get("fields"), list, "form_response.definition.fields", optional=True)
    titles = {item.get("id"): item.get("title") for item in fields if isinstance(item, dict)}
    chosen: dict[str, tuple[int, Any]] = {}
    attachments: list[str] = []
    for number, answer in enumerate(answers):
        where = f"form_response.answers[{number}]"
        target = _typeform_target(expect(answer, dict, where), where, titles, settings)
        value = _typeform_value(answer)
        if target is None or value in (None, ""):
            continue
        rank, name = target
        if name == "attachments":
            attachments.append(str(value))
        elif name not in chosen or rank < chosen[name][0]:
            chosen[name] = (rank, value)
    mapped = {name: value for name, (_, value) in chosen.items()}
    if attachments:
        mapped["attachments"] = " ".join(attachments)
    return Submission(
        submission_id=response.get("token"),
        form_id=response.get("form_id"),
        form_name=definition.get("title"),
        submitted_at=response.get("submitted_at"),
        answers={**mapped, **_hidden_values(response, settings)},
        submitted_at_key="form_response.submitted_at",
    )


# --- 金数据 -----------------------------------------------------------------------------------------
def _jinshuju_value(value: Any, where: str, target: str) -> Any:
    """A phone answer arrives as {"value", "verified"}; a file upload as a list of links (kept, space-separated);
    a multiple choice as a list of texts."""
    if isinstance(value, dict):
        if "value" in value and not isinstance(value["value"], (dict, list)):
            return value["value"]
        if target == "attachments" and isinstance(value.get("url"), str):
            return value["url"]
        raise FieldError(where, value, f"{where}: expected text or {{\"value\": ...}}, got an object without a value")
    if isinstance(value, list):
        items = [_jinshuju_value(item, where, target) for item in value]
        kept = [str(item) for item in items if item not in (None, "")]
        return (" " if target == "attachments" else ", ").join(kept) or None
    return value


def _entry_hash(entry: dict) -> str:
    """A stable id for an entry pushed without serial_number: the same entry always gives the same id."""
    text = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)
    return "h" + hashlib.sha256(text.encode()).hexdigest()[:16]


def jinshuju(payload: Any, settings: JinshujuSettings) -> Submission:
    """金数据 push {"form": token, "form_name", "entry": {serial_number, field_N, created_at, ...}}, mapped with
    the form's own entry_fields when forms.yaml has them, else the default map."""
    payload = expect(payload, dict, "payload")
    entry = expect(payload.get("entry"), dict, "entry")
    form_id = payload.get("form")
    answers = {}
    for key, target in settings.fields_for(form_id).items():
        value = _jinshuju_value(entry.get(key), f"entry.{key}", target)
        if value not in (None, ""):
            answers[target] = value
    serial = entry.get("serial_number")
    local_id = str(serial) if serial not in (None, "") else _entry_hash(entry)
    return Submission(
        submission_id=f"{form_id}-{local_id}" if form_id else local_id,
        form_id=form_id,
        form_name=payload.get("form_name"),
        submitted_at=entry.get("created_at"),
        answers=answers,
        submitted_at_key="entry.created_at",
    )


# --- flat exports -----------------------------------------------------------------------------------
def export(payload: Any, settings: ExportSettings) -> Submission:
    """A flat JSON object per line, keys named in the settings."""
    payload = expect(payload, dict, "payload")
    answers = {target: payload.get(key) for key, target in settings.keys.items() if payload.get(key) not in (None, "")}
    form = payload.get(settings.form_key)
    return Submission(
        submission_id=payload.get(settings.id_key),
        form_id=form,
        form_name=form,
        submitted_at=payload.get(settings.submitted_at_key),
        answers=answers,
        submitted_at_key=settings.submitted_at_key,
    )


SHAPES = {"typeform": typeform, "jinshuju": jinshuju, "export": export}
