"""Read and check mapping.yaml: which files hold which entity, header aliases, types, units, date order and keys."""
from __future__ import annotations

import codecs
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.common.errors import FunnelhouseError
from ingestion.common.funnel import known_stages
from ingestion.common.parsing import FieldError, parse_amount, parse_date, parse_timestamp
from ingestion.common.settings_file import read_yaml

DEFAULT_MAPPING = Path(__file__).with_name("mapping.yaml")

ENTITIES = (
    "deals", "stage_changes", "leads", "spend", "deal_attributes", "lead_attributes", "owners", "companies", "products",
)
FIELD_TYPES = ("text", "date", "month", "timestamp", "amount", "phone", "email", "stage", "duration_days", "integer")
# types whose invalid value quarantines the row even when the field is optional (others are nulled, see data_issues)
STRICT_TYPES = frozenset({"date", "month", "timestamp", "amount", "stage"})
PROVENANCE_COLUMNS: dict[str, dict[str, Any]] = {
    # merge_key: the rows of a changed file replace every row loaded from that file before (edited keys, deleted rows)
    "source_file": {"data_type": "text", "nullable": False, "merge_key": True},
    "source_sheet": {"data_type": "text", "nullable": True},
    "source_row": {"data_type": "bigint", "nullable": False},
    "data_issues": {"data_type": "text", "nullable": True},
}
_COLUMN_TYPES: dict[str, dict[str, Any]] = {
    "text": {"data_type": "text"},
    "date": {"data_type": "date"},
    "month": {"data_type": "date"},
    "timestamp": {"data_type": "timestamp"},
    "amount": {"data_type": "decimal", "precision": 18, "scale": 2},
    "phone": {"data_type": "text"},
    "email": {"data_type": "text"},
    "stage": {"data_type": "text"},
    "duration_days": {"data_type": "bigint"},
    "integer": {"data_type": "bigint"},
}
_ENTRY_KEYS = {
    "files", "entity", "table", "key", "stage_source", "amount_unit", "date_order", "encoding", "delimiter", "sheets",
    "header_search_rows", "header_min_matches", "constants", "from_file_name", "fields", "channel_field", "of",
    "currency", "decimal_separator",
}
# Entities with a canonical raw table (raw_spreadsheets.<entity>) read by a generic staging model: an entry without
# `table:` writes there, keyed by (source_name = the entry's name, record_key = its own key's values), so any number
# of entries share the table; the key defaults to the first `id` column among the fields, and a field named in
# `fields` takes its type from here unless it says one.
_ATTRIBUTE_FIELDS = {
    "owner_name": "text", "segment": "text", "lead_type": "text", "product": "text", "declared_revenue": "amount",
    "industry": "text", "company_size": "text",
}
CANONICAL_ENTITIES: dict[str, dict[str, Any]] = {
    "deals": {"id": ("deal_id", "lead_id"), "fields": {
        "deal_id": "text", "lead_id": "text", "deal_name": "text", "account_name": "text", "stage": "stage",
        "stage_entered_on": "date", "created_on": "date", "owner_name": "text", "amount": "amount",
        "channel": "text", "lost_reason": "text", "industry": "text", "company_size": "text",
        "contact_name": "text", "contact_email": "email", "contact_phone": "phone", "currency": "text",
        "lost_from_stage": "stage",
        **_ATTRIBUTE_FIELDS,
    }},
    "leads": {"id": ("lead_id",), "fields": {
        "lead_id": "text", "created_on": "date", "created_at": "timestamp", "channel": "text", "landing_page": "text",
        "company_name": "text", "contact_name": "text", "contact_email": "email", "contact_phone": "phone",
        **_ATTRIBUTE_FIELDS,
    }},
    # a second file keyed by the id of an entry's deals / leads (`of: <entry>`): fills the columns that entry leaves
    # empty, in its own table, so neither file's rows replace the other's
    "deal_attributes": {"id": ("deal_id",), "of": "deals", "fields": {"deal_id": "text", **_ATTRIBUTE_FIELDS}},
    "lead_attributes": {"id": ("lead_id",), "of": "leads", "fields": {"lead_id": "text", **_ATTRIBUTE_FIELDS}},
    # lookup sheets, joined by name: owner -> manager / team / office / region, account -> industry / size / revenue,
    # product -> series / list price
    "owners": {"id": ("owner_name",), "fields": {
        "owner_name": "text", "manager_name": "text", "team_name": "text", "office": "text", "region": "text",
    }},
    "companies": {"id": ("company_name",), "fields": {
        "company_name": "text", "industry": "text", "company_size": "text", "revenue": "amount",
        "employees": "integer", "location": "text", "parent_company": "text",
    }},
    "products": {"id": ("product",), "fields": {"product": "text", "series": "text", "list_price": "amount"}},
}
CANONICAL_KEY = ("source_name", "record_key")
# names a canonical entry may not take: they are the `source` of the deals and people of the built-in models
RESERVED_SOURCE_NAMES = frozenset({"hubspot", "hubspot_contact", "hubspot_company", "forms", "tracker_cn", "export_en",
                                   "owner_name"})
_FIELD_KEYS = {"type", "required", "aliases", "unit", "enters"}
# `enters: closing` on a date field: the day the deal entered its current stage when that stage is won or lost
CLOSING = "closing"
STAGE_DATES_TABLE = "deal_stage_dates"
STAGE_DATE_COLUMNS: dict[str, dict[str, Any]] = {
    "source_name": {"data_type": "text", "nullable": False},
    "record_key": {"data_type": "text", "nullable": False},
    "stage_raw": {"data_type": "text", "nullable": False},
    "stage_code": {"data_type": "text", "nullable": False},
    "is_closing": {"data_type": "bool", "nullable": False},
    "entered_on": {"data_type": "date", "nullable": False},
    **PROVENANCE_COLUMNS,
}
STAGE_DATE_KEY = ["source_name", "record_key", "stage_raw"]
_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
_GB_FAMILY = {"gbk", "gb2312", "gb18030", "cp936", "936"}


class MappingError(FunnelhouseError):
    """mapping.yaml says something that cannot work; the message names the file, the entry and the setting."""


def normalize_header(text: Any) -> str:
    """Header text compared without case, spaces, BOMs or full-width forms: '预估金额（万）' == '预估金额(万)'."""
    folded = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").casefold()
    return "".join(folded.split())


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field: its type, whether a row needs it, and the header texts that name it."""

    name: str
    type: str
    required: bool
    aliases: tuple[str, ...]
    unit: str | None = None
    enters: tuple[str, str] | None = None  # date fields: (stage as written, stage code) entered that day; closing

    @property
    def columns(self) -> tuple[str, ...]:
        """Table columns the field writes: a stage writes <name>_raw and <name>_code."""
        return (f"{self.name}_raw", f"{self.name}_code") if self.type == "stage" else (self.name,)

    @property
    def label(self) -> str:
        """How a person knows the column: its first alias and canonical name, e.g. '客户名称 (customer_name)'."""
        return f"{self.aliases[0]} ({self.name})"


@dataclass(frozen=True)
class InputSpec:
    """One mapping entry: the files it claims and how to read them into its table."""

    name: str
    files: tuple[str, ...]
    entity: str
    table: str
    key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    stage_source: str | None = None
    amount_unit: str = "yuan"
    decimal_separator: str = "."  # "," when the sheet writes 12,3万 and 1.234,5
    day_first: bool = False
    encoding: str = "auto"
    delimiter: str = ","
    sheets: tuple[str, ...] | None = None
    header_search_rows: int = 10
    header_min_matches: int = 2
    constants: dict[str, Any] = field(default_factory=dict)  # column -> value, typed like the field it names
    from_file_name: dict[str, re.Pattern] = field(default_factory=dict)
    channel_field: str | None = None  # the channel_map source_field of this entry's `channel` values
    of: str | None = None  # attribute entries: the deals / leads entry whose rows they complete
    currency: str | None = None  # ISO code of the entry's amounts (a `currency` column wins), e.g. USD
    digest: str = ""  # of the entry's settings: files are read again when their entry changes

    @property
    def is_canonical(self) -> bool:
        """Writes the entity's canonical table, shared by entries and told apart by source_name."""
        return self.entity in CANONICAL_ENTITIES and self.table == self.entity

    @property
    def table_key(self) -> tuple[str, ...]:
        """The table's primary key: the entry's key, or (source_name, record_key) in a canonical table."""
        return CANONICAL_KEY if self.is_canonical else self.key

    @property
    def file_name_columns(self) -> tuple[str, ...]:
        return tuple(self.from_file_name)

    @property
    def stage_dates(self) -> tuple[FieldSpec, ...]:
        """Date fields that each mean "entered stage X" (raw_spreadsheets.deal_stage_dates)."""
        return tuple(spec for spec in self.fields if spec.enters)

    def fixed_columns(self) -> dict[str, Any]:
        """Columns with one value for every row of the entry: constants, source_name and channel_field."""
        fixed = dict(self.constants)
        if self.is_canonical:
            fixed["source_name"] = self.name
            if self.stage_source:
                fixed["stage_source"] = self.stage_source
        if self.channel_field:
            fixed["channel_field"] = self.channel_field
        if self.of:
            fixed["attribute_of"] = self.of
        if self.currency:
            fixed["entry_currency"] = self.currency
        return fixed

    def values_from_file_name(self, file_name: str) -> dict[str, str] | None:
        """The from_file_name columns of one file (matched against its base name), or None when one does not match."""
        base = Path(file_name).name
        values = {}
        for column, pattern in self.from_file_name.items():
            match = pattern.search(base)
            if not match:
                return None
            value = match.group(column) if column in pattern.groupindex else match.group(1)
            if not value:
                return None
            values[column] = value
        return values

    def columns(self) -> dict[str, dict[str, Any]]:
        """dlt column hints of every column this entry writes (provenance last)."""
        columns: dict[str, dict[str, Any]] = {}
        for spec in self.fields:
            for column in spec.columns:
                columns[column] = {**_COLUMN_TYPES[spec.type], "nullable": not spec.required}
        typed = CANONICAL_ENTITIES.get(self.entity, {}).get("fields", {})
        for column in self.constants:
            kind = typed.get(column.removesuffix("_raw").removesuffix("_code"), "text")
            columns[column] = {**_COLUMN_TYPES[kind], "nullable": False}
        extras = tuple(column for column, value in (
            ("channel_field", self.channel_field), ("attribute_of", self.of), ("entry_currency", self.currency),
        ) if value)
        for column in (*self.file_name_columns, *extras):
            columns[column] = {"data_type": "text", "nullable": False}
        if self.is_canonical:
            extra = (*CANONICAL_KEY, *(("stage_source",) if self.stage_source else ()))
            columns.update({column: {"data_type": "text", "nullable": False} for column in extra})
        return {**columns, **PROVENANCE_COLUMNS}


@dataclass(frozen=True)
class Mapping:
    """All entries of a mapping file, in file order."""

    path: Path
    inputs: tuple[InputSpec, ...]

    def tables(self) -> dict[str, list[InputSpec]]:
        """Entries grouped by their table, in order of first appearance."""
        grouped: dict[str, list[InputSpec]] = {}
        for spec in self.inputs:
            grouped.setdefault(spec.table, []).append(spec)
        return grouped

    def table_columns(self, table: str) -> dict[str, dict[str, Any]]:
        """Union of the entries' columns; a column is non-nullable only when every entry requires it."""
        per_entry = [spec.columns() for spec in self.tables()[table]]
        merged: dict[str, dict[str, Any]] = {}
        for columns in per_entry:
            for column, hint in columns.items():
                merged.setdefault(column, dict(hint))
        for column, hint in merged.items():
            hint["nullable"] = any(column not in columns or columns[column]["nullable"] for columns in per_entry)
        return merged


def load_mapping(path: Path | str | None = None) -> Mapping:
    """Parse and check a mapping file (default: ingestion/spreadsheets/mapping.yaml)."""
    path = Path(path or DEFAULT_MAPPING)
    document = read_yaml(path, MappingError, "mapping file")
    if not isinstance(document, dict) or not document:
        raise MappingError(f"{path}: expected one entry per kind of sheet (name: settings)")
    inputs = tuple(_entry(path, str(name), settings) for name, settings in document.items())
    mapping = Mapping(path, inputs)
    _check_shared_tables(mapping)
    _check_attribute_targets(mapping)
    return mapping


def _check_attribute_targets(mapping: Mapping) -> None:
    """An attributes entry's `of` names a deals / leads entry that writes the canonical table."""
    entries = {spec.name: spec for spec in mapping.inputs}
    for spec in mapping.inputs:
        if spec.of is None:
            continue
        wanted = CANONICAL_ENTITIES[spec.entity]["of"]
        target = entries.get(spec.of)
        if target is None or target.entity != wanted or not target.is_canonical:
            raise MappingError(
                f"{mapping.path.name}, entry {spec.name}: `of: {spec.of}` must name an entry with entity {wanted} "
                "and no `table`"
            )


def _entry(path: Path, name: str, settings: Any) -> InputSpec:
    def fail(message: str) -> MappingError:
        return MappingError(f"{path.name}, entry {name}: {message}")

    if not isinstance(settings, dict):
        raise fail("expected settings (files, entity, key, fields, ...)")
    unknown = sorted(set(settings) - _ENTRY_KEYS)
    if unknown:
        raise fail(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(_ENTRY_KEYS))})")
    files = settings.get("files")
    files = [files] if isinstance(files, str) else files
    if not files or not all(isinstance(glob, str) and glob for glob in files):
        raise fail("`files` must list at least one glob, e.g. [\"销售跟进表_*.xlsx\"]")
    entity = settings.get("entity")
    if entity not in ENTITIES:
        raise fail(f"`entity` must be one of {', '.join(ENTITIES)}, not {entity!r}")
    table = settings.get("table", entity)
    if not isinstance(table, str) or not _SNAKE_CASE.match(table) or table in ("quarantine", "reconciliation"):
        raise fail(f"`table` must be a snake_case name other than quarantine/reconciliation, not {table!r}")

    stage_source = settings.get("stage_source")
    fields = _fields(settings.get("fields"), fail, CANONICAL_ENTITIES.get(entity, {}).get("fields", {}), stage_source)
    if any(spec.type == "stage" for spec in fields):
        if not stage_source:
            raise fail("a stage field needs `stage_source` (tracker_cn, export_en, ... in funnel_stage_map.csv)")
        if not known_stages(str(stage_source)):
            raise fail(f"stage_source {stage_source!r} has no rows in dbt_project/seeds/funnel/funnel_stage_map.csv")

    amount_unit = settings.get("amount_unit", "yuan")
    if amount_unit not in ("wan", "yuan"):
        raise fail(f"`amount_unit` must be wan or yuan, not {amount_unit!r}")
    decimal_separator = settings.get("decimal_separator", ".")
    if decimal_separator not in (".", ","):
        raise fail(f"`decimal_separator` must be '.' or ',', not {decimal_separator!r}")
    date_order = settings.get("date_order", "month_first")
    if date_order not in ("month_first", "day_first"):
        raise fail(f"`date_order` must be month_first or day_first, not {date_order!r}")
    encoding = _encoding(settings.get("encoding", "auto"), fail)
    delimiter = settings.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise fail(f"`delimiter` must be one character, not {delimiter!r}")
    sheets = settings.get("sheets")
    if sheets is not None:
        sheets = [sheets] if isinstance(sheets, str) else sheets
        if not sheets or not all(isinstance(sheet, str) for sheet in sheets):
            raise fail("`sheets` must list sheet names")
    search_rows, min_matches = settings.get("header_search_rows", 10), settings.get("header_min_matches", 2)
    if not isinstance(search_rows, int) or search_rows < 1 or not isinstance(min_matches, int) or min_matches < 1:
        raise fail("`header_search_rows` and `header_min_matches` must be positive whole numbers")

    constants = settings.get("constants") or {}
    if not isinstance(constants, dict) or not all(
        isinstance(column, str) and _SNAKE_CASE.match(column) and value is not None for column, value in constants.items()
    ):
        raise fail("`constants` must map snake_case column names to values, e.g. {team: 华东}")
    typed_constants = _typed_constants(constants, entity, stage_source, date_order == "day_first", fail,
                                       decimal_separator)
    from_file_name = _file_name_patterns(settings.get("from_file_name"), fail)
    channel_field = settings.get("channel_field")
    if channel_field is not None and not (isinstance(channel_field, str) and channel_field.strip()):
        raise fail("`channel_field` must name a source_field of dbt_project/seeds/funnel/channel_map.csv")
    key = settings.get("key") or ()
    key = [key] if isinstance(key, str) else key
    canonical = CANONICAL_ENTITIES.get(entity) if table == entity else None
    currency = settings.get("currency")
    if currency is not None and not (isinstance(currency, str) and re.fullmatch(r"[A-Za-z]{3}", currency.strip())):
        raise fail(f"`currency` must be a three-letter ISO code such as USD or CNY, not {currency!r}")
    of = settings.get("of")
    if "of" in CANONICAL_ENTITIES.get(entity, {}):
        if not canonical:
            raise fail(f"an entry with entity {entity} writes raw_spreadsheets.{entity}: leave out `table`")
        if not isinstance(of, str) or not of:
            raise fail(f"`of` must name the {CANONICAL_ENTITIES[entity]['of']} entry whose rows these attributes complete")
    elif of is not None:
        raise fail("`of` applies to entity deal_attributes or lead_attributes only")
    if canonical:
        if name in RESERVED_SOURCE_NAMES:
            raise fail(f"the name {name!r} is taken by a built-in source; rename the entry")
        named = settings.get("fields") if isinstance(settings.get("fields"), dict) else {}
        key = key or [column for column in canonical["id"] if column in named][:1]

    if any(spec.enters for spec in fields):
        if not (entity == "deals" and table == entity):
            raise fail("`enters` (a date that means entering a stage) needs entity deals and no `table`")
        closing = any(spec.enters and spec.enters[0] == CLOSING for spec in fields)
        if closing and not any(spec.type == "stage" for spec in fields):
            raise fail("`enters: closing` needs a stage field (the deal's won or lost stage)")

    spec = InputSpec(
        name=name,
        files=tuple(files),
        entity=entity,
        table=table,
        key=tuple(key),
        fields=fields,
        stage_source=str(stage_source) if stage_source else None,
        amount_unit=amount_unit,
        decimal_separator=decimal_separator,
        day_first=date_order == "day_first",
        encoding=encoding,
        delimiter=delimiter,
        sheets=tuple(sheets) if sheets is not None else None,
        header_search_rows=search_rows,
        header_min_matches=min(min_matches, len(fields)),
        constants=typed_constants,
        from_file_name=from_file_name,
        channel_field=channel_field.strip() if channel_field else None,
        of=of,
        currency=currency.strip().upper() if currency else None,
        digest=hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16],
    )
    _check_columns_and_key(spec, fail)
    return spec


def _stage_code(value: Any, stage_source: Any) -> str | None:
    """The stage code of a value of `stage_source` (ignoring case, spaces and full-width forms), or None."""
    stages = known_stages(str(stage_source)) if stage_source else {}
    text = str(value).strip()
    return stages.get(text) or {normalize_header(k): v for k, v in stages.items()}.get(normalize_header(text))


def _enters(name: str, kind: str, value: Any, stage_source: Any, fail) -> tuple[str, str] | None:
    if value is None:
        return None
    if kind != "date":
        raise fail(f"field {name}: `enters` applies to date fields only")
    if str(value).strip() == CLOSING:
        return (CLOSING, CLOSING)
    code = _stage_code(value, stage_source)
    if code is None:
        raise fail(f"field {name}: `enters` {value!r} is not a stage of stage_source {stage_source} "
                   "(name a stage of funnel_stage_map.csv, or closing)")
    return (str(value).strip(), code)


def _fields(raw: Any, fail, default_types: dict[str, str], stage_source: Any = None) -> tuple[FieldSpec, ...]:
    if not isinstance(raw, dict) or not raw:
        raise fail("`fields` must map canonical column names to {type, required, aliases}")
    specs = []
    for name, settings in raw.items():
        if not isinstance(name, str) or not _SNAKE_CASE.match(name):
            raise fail(f"field name {name!r} must be snake_case (it becomes a column name)")
        if not isinstance(settings, dict):
            raise fail(f"field {name}: expected {{type, required, aliases}}")
        unknown = sorted(set(settings) - _FIELD_KEYS)
        if unknown:
            raise fail(f"field {name}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(_FIELD_KEYS))})")
        kind = settings.get("type", default_types.get(name, "text"))
        if kind not in FIELD_TYPES:
            raise fail(f"field {name}: type must be one of {', '.join(FIELD_TYPES)}, not {kind!r}")
        aliases = settings.get("aliases")
        aliases = [aliases] if isinstance(aliases, str) else aliases
        if not aliases or not all(isinstance(alias, (str, int, float)) and str(alias).strip() for alias in aliases):
            raise fail(f"field {name}: `aliases` must list the header texts that name it")
        unit = settings.get("unit")
        if unit is not None and (kind != "amount" or unit not in ("wan", "yuan")):
            raise fail(f"field {name}: `unit` (wan or yuan) applies to amount fields only")
        required = settings.get("required", False)
        if not isinstance(required, bool):
            raise fail(f"field {name}: `required` must be true or false")
        enters = _enters(name, kind, settings.get("enters"), stage_source, fail)
        specs.append(FieldSpec(name, kind, required, tuple(str(alias).strip() for alias in aliases), unit, enters))
    seen: dict[str, str] = {}
    for spec in specs:
        for alias in spec.aliases:
            other = seen.setdefault(normalize_header(alias), spec.name)
            if other != spec.name:
                raise fail(f"header alias {alias!r} names both {other} and {spec.name}")
    return tuple(specs)


def _typed_constants(
    constants: dict, entity: str, stage_source: Any, day_first: bool, fail, decimal_separator: str = "."
) -> dict[str, Any]:
    """Constants typed like the canonical field they name (`stage: Lead` is mapped through the stage map and writes
    stage_raw and stage_code; a date constant is a date); any other constant is text."""
    typed = CANONICAL_ENTITIES.get(entity, {}).get("fields", {})
    values: dict[str, Any] = {}
    for column, value in constants.items():
        kind, text = typed.get(column, "text"), str(value).strip()
        if kind == "stage":
            if not stage_source or not known_stages(str(stage_source)):
                raise fail(f"constant {column}: a stage needs `stage_source` with rows in funnel_stage_map.csv")
            code = _stage_code(text, stage_source)
            if code is None:
                raise fail(f"constant {column}: unknown stage {text!r} for stage_source {stage_source} "
                           "(add it to dbt_project/seeds/funnel/funnel_stage_map.csv)")
            values[f"{column}_raw"], values[f"{column}_code"] = text, code
            continue
        parsers = {"date": lambda: parse_date(column, value, day_first=day_first),
                   "timestamp": lambda: parse_timestamp(column, value),
                   "amount": lambda: parse_amount(column, value, unit="yuan", decimal_separator=decimal_separator)}
        try:
            values[column] = parsers[kind]() if kind in parsers else text
        except FieldError as error:
            raise fail(f"constant {column}: {error.reason}") from None
    return values


def _encoding(value: Any, fail) -> str:
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    try:
        codec = codecs.lookup(text).name
    except LookupError:
        raise fail(f"unknown `encoding` {value!r} (use auto, utf-8, utf-8-sig, gbk or gb18030)") from None
    return "gb18030" if text in _GB_FAMILY or codec in _GB_FAMILY else codec


def _file_name_patterns(value: Any, fail) -> dict[str, re.Pattern]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        raise fail("`from_file_name` must map a column to a regular expression, e.g. {team: '^销售跟进表_(?P<team>[^_.]+)'}")
    patterns = {}
    for column, pattern in value.items():
        if not isinstance(column, str) or not _SNAKE_CASE.match(column):
            raise fail(f"`from_file_name`: column name {column!r} must be snake_case")
        try:
            compiled = re.compile(str(pattern))
        except re.error as error:
            raise fail(f"`from_file_name`: invalid regular expression {pattern!r} for {column} ({error})") from None
        if column not in compiled.groupindex and compiled.groups != 1:
            raise fail(f"`from_file_name`: the expression for {column} needs one group, or a group named {column}")
        patterns[column] = compiled
    return patterns


def _check_columns_and_key(spec: InputSpec, fail) -> None:
    columns: list[str] = [column for field_spec in spec.fields for column in field_spec.columns]
    columns += [*spec.constants, *spec.file_name_columns]
    duplicated = sorted({column for column in columns if columns.count(column) > 1})
    if duplicated:
        raise fail(f"column {duplicated[0]!r} is written twice (fields, constants and from_file_name must differ)")
    clashing = set(columns) & {
        *PROVENANCE_COLUMNS, *CANONICAL_KEY, "channel_field", "stage_source", "attribute_of", "entry_currency",
    }
    if clashing:
        raise fail(f"column {sorted(clashing)[0]!r} is reserved for provenance")
    if not spec.key:
        raise fail("`key` must list the columns that identify a row, e.g. [deal_id]")
    keyable = {column for f in spec.fields if f.required for column in f.columns}
    keyable |= {*spec.constants, *spec.file_name_columns}
    for column in spec.key:
        if column not in keyable:
            raise fail(f"key column {column!r} must be a required field, a constant or from the file name")


def _check_shared_tables(mapping: Mapping) -> None:
    for table, specs in mapping.tables().items():
        first = specs[0]
        for spec in specs[1:]:
            if spec.table_key != first.table_key:
                raise MappingError(
                    f"{mapping.path.name}: entries {first.name} and {spec.name} share table {table} "
                    f"but not its key ({', '.join(first.key)} vs {', '.join(spec.key)})"
                )
            for column, hint in spec.columns().items():
                other = first.columns().get(column)
                if other and other["data_type"] != hint["data_type"]:
                    raise MappingError(
                        f"{mapping.path.name}: entries {first.name} and {spec.name} share table {table} but column "
                        f"{column} is {other['data_type']} in one and {hint['data_type']} in the other"
                    )
