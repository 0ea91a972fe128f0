"""Read and check forms.yaml into typed settings per form tool; an error is one line naming the file and the key."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ingestion.common.errors import FunnelhouseError
from ingestion.common.settings_file import read_yaml

DEFAULT_MAPPING = Path(__file__).with_name("forms.yaml")

LeadField = Literal[
    "name", "email", "phone", "company", "industry", "company_size", "message", "attachments",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "channel",
]
LEAD_FIELDS: tuple[str, ...] = get_args(LeadField)
# hidden fields / URL variables that name where a lead came from
CHANNEL_KEYS = {key: key for key in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "channel")}
CHANNEL_KEYS["source"] = "channel"
# words of a question's title -> lead field, tried in this order (company_size before company before name)
TITLE_KEYWORDS = {
    "company_size": ["company size", "employees", "公司规模", "人数"],
    "company": ["company", "organisation", "organization", "公司", "单位"],
    "industry": ["industry", "行业"],
    "name": ["name", "姓名", "称呼"],
    "message": ["message", "comment", "anything else", "留言", "需求"],
}


class FormsConfigError(FunnelhouseError):
    """forms.yaml says something that cannot work; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    def digest(self) -> str:
        """Of every setting of this section: a drop file is read again when the section that maps it changes."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class _Settings(_Strict):
    globs: list[str] = Field(min_length=1)


class TypeformSettings(_Settings):
    """Answers map by field type (email, phone_number), then by field.ref, then by words in the field's title."""

    globs: list[str] = Field(default=["typeform/**/*.jsonl", "typeform/**/*.json"], min_length=1)
    answers_by_ref: dict[str, LeadField] = {}
    title_keywords: dict[LeadField, list[str]] = TITLE_KEYWORDS
    hidden: dict[str, LeadField] = dict(CHANNEL_KEYS)


class JinshujuForm(_Strict):
    """One 金数据 form (keyed by its token, the push's `form`): which entry key holds which lead field."""

    entry_fields: dict[str, LeadField] = Field(min_length=1)


class JinshujuSettings(_Settings):
    """`entry_fields` is the default map; `forms` gives a form token its own map."""

    globs: list[str] = Field(default=["jinshuju/**/*.jsonl", "jinshuju/**/*.json"], min_length=1)
    entry_fields: dict[str, LeadField] = {}
    forms: dict[str, JinshujuForm] = {}

    def fields_for(self, form: Any) -> dict[str, str]:
        chosen = self.forms.get(form) if isinstance(form, str) else None
        return chosen.entry_fields if chosen else self.entry_fields


class ExportSettings(_Settings):
    """Flat JSON objects: the keys of id, time and form, and object key -> lead field."""

    globs: list[str] = Field(default=["export/**/*.jsonl"], min_length=1)
    id_key: str = "submission_id"
    submitted_at_key: str = "submitted_at"
    form_key: str = "form"
    keys: dict[str, LeadField] = {}


class FormsConfig(_Strict):
    """The whole file: a section per form tool in use; a tool left out is not read."""

    typeform: TypeformSettings | None = None
    jinshuju: JinshujuSettings | None = None
    export: ExportSettings | None = None

    def tools(self) -> dict[str, _Settings]:
        return {tool: settings for tool, settings in self if settings is not None}


def _known_keys(location: tuple) -> str:
    """The keys allowed beside an unknown one: walk the models along the error's path."""
    model: Any = FormsConfig
    for part in location[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            continue  # a dict key (a form token): stay on the dict's value model
        inner = [arg for arg in (*get_args(field.annotation), field.annotation) if isinstance(arg, type)]
        values = [arg for arg in get_args(field.annotation)[1:2] if isinstance(arg, type)]
        model = next((arg for arg in (*inner, *values) if issubclass(arg, BaseModel)), model)
    return ", ".join(model.model_fields)


def _expected(error: dict[str, Any]) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"unknown key (known: {_known_keys(error['loc'])})"
    if kind == "literal_error":
        return f"expected a lead field ({', '.join(LEAD_FIELDS)}), not {error['input']!r}"
    if kind == "missing":
        return "required key is missing"
    if kind in ("too_short",):
        return "must list at least one entry"
    names = {"string_type": "text", "list_type": "a list", "dict_type": "a mapping (key: value)",
             "model_type": "a mapping (key: value)", "model_attributes_type": "a mapping (key: value)"}
    return f"expected {names.get(kind, context.get('expected', kind))}, not {error['input']!r}"


def _key_path(location: tuple) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def load_mapping(path: Path | str | None = None) -> FormsConfig:
    """Parse and check a forms file (default: ingestion/forms/forms.yaml)."""
    path = Path(path or DEFAULT_MAPPING)
    document = read_yaml(path, FormsConfigError, "forms file")
    if not isinstance(document, dict) or not document:
        raise FormsConfigError(f"{path.name}: expected a section per form tool (typeform, jinshuju, export)")
    document = {tool: ({} if settings is None else settings) for tool, settings in document.items()}
    try:
        return FormsConfig.model_validate(document)
    except ValidationError as error:
        first = min(error.errors(include_url=False), key=lambda item: item["type"] != "extra_forbidden")
        raise FormsConfigError(f"{path.name}: {_key_path(first['loc'])}: {_expected(first)}") from None
