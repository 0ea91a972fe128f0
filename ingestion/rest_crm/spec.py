"""The YAML file of a REST CRM (`crms/<name>.yaml`) as pydantic models: base URL, settings (secrets named by dlt
config key, never written in the file), auth, error rule, rate limit, option labels and the endpoints with their
paging, incremental cursor and column mapping onto the canonical tables (columns.py). `load_spec` turns the first
validation error into one line: `crms/acme.yaml: endpoints.deals.paging.type: expected one of ...; got 'pages'`."""
from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PositiveFloat, PositiveInt, ValidationError
from pydantic import model_validator

from ingestion.common.errors import FunnelhouseError
from ingestion.common.settings_file import read_yaml
from ingestion.rest_crm.columns import CANONICAL

NAME = re.compile(r"[a-z][a-z0-9_]*")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
RUNTIME_NAMES = {"since", "parent", "token"}  # filled while running: incremental start, parent id, access token
TIME_FORMATS = ("epoch_ms", "epoch_s", "iso")


class SpecError(FunnelhouseError):
    """A YAML CRM file says something that cannot work: one line naming the file, the key path and what was
    expected."""


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SettingSpec(Model):
    """A value the CRM needs from `[sources.<name>] <key>` (.dlt/secrets.toml when secret) or
    FUNNELHOUSE_<NAME>_<KEY>; a non-secret one may have a default."""

    secret: bool = False
    default: str | None = None

    @model_validator(mode="after")
    def _no_secret_default(self) -> SettingSpec:
        if self.secret and self.default is not None:
            raise ValueError("a secret has no default in the file: set it in .dlt/secrets.toml or its env var")
        return self


class Request(Model):
    """One HTTP request: GET with query params, or POST with a JSON body template (`{setting}` placeholders)."""

    method: Literal["GET", "POST"] = "GET"
    path: str
    params: dict[str, Any] = {}
    body: dict[str, Any] | None = None
    headers: dict[str, str] = {}


# ------------------------------------------------------------------ paging (dlt rest_api paginators)
class CursorPaging(Model):
    type: Literal["cursor"]
    cursor_path: str  # where the next cursor is in the answer
    cursor_param: str | None = None  # sent back as this query param ...
    cursor_body_path: str | None = None  # ... or at this path of the JSON body

    @model_validator(mode="after")
    def _one_place(self) -> CursorPaging:
        if (self.cursor_param is None) == (self.cursor_body_path is None):
            raise ValueError("expected exactly one of cursor_param, cursor_body_path")
        return self


class AfterLast(Model):
    """Deep paging past an offset cap: `item` ({last}: `field` of the page's last record) appended to the JSON
    body's list at `append_to` (fxiaoke: {field_name: _id, operator: GT, field_values: ["{last}"]})."""

    field: str
    append_to: str
    item: dict[str, Any]


class OffsetPaging(Model):
    type: Literal["offset"]
    limit: PositiveInt
    offset_param: str | None = None  # a query param, or ...
    limit_param: str | None = None
    offset_body_path: str | None = None  # ... a dotted path in the JSON body (fxiaoke: search_query_info.offset)
    limit_body_path: str | None = None
    total_path: str | None = None  # none: paging stops at a short page
    has_more_path: str | None = None
    max_offset: PositiveInt | None = None  # the API's cap; past it, `after_last` reads on from offset 0
    after_last: AfterLast | None = None

    @model_validator(mode="after")
    def _one_place(self) -> OffsetPaging:
        if (self.max_offset is None) != (self.after_last is None):
            raise ValueError("expected max_offset and after_last together")
        if (self.offset_param is None) == (self.offset_body_path is None):
            raise ValueError("expected exactly one of offset_param, offset_body_path")
        if (self.limit_param is None) == (self.limit_body_path is None):
            raise ValueError("expected exactly one of limit_param, limit_body_path")
        return self


class PageNumberPaging(Model):
    type: Literal["page_number"]
    page_param: str = "page"
    base_page: int = 1
    page_size: PositiveInt | None = None  # sent as size_param when given
    size_param: str = "per_page"
    total_path: str | None = None  # the number of pages; none: paging stops at an empty page


class LinkHeaderPaging(Model):
    type: Literal["link_header"]
    rel: str = "next"


class JsonLinkPaging(Model):
    type: Literal["json_link"]
    next_url_path: str


Paging = Annotated[Union[CursorPaging, OffsetPaging, PageNumberPaging, LinkHeaderPaging, JsonLinkPaging],
                   Field(discriminator="type")]
PAGING_TYPES = ("cursor", "offset", "page_number", "link_header", "json_link")


# ------------------------------------------------------------------ auth
class BearerAuth(Model):
    type: Literal["bearer"]
    token: str  # the setting holding it


class HeaderKeyAuth(Model):
    type: Literal["header"]
    header: str
    key: str  # the setting holding it
    location: Literal["header", "query"] = "header"


class Send(Model):
    """Where an obtained token (and the values read with it) goes on every call: `{token}`, `{<value>}` and
    `{<setting>}` placeholders in headers, query params and top-level JSON body fields."""

    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    body: dict[str, Any] = {}


class OAuthRefreshAuth(Model):
    type: Literal["oauth_refresh"]
    token_url: str  # absolute, or a path on base_url
    client_id: str  # settings holding them
    client_secret: str
    refresh_token: str
    send: Send = Send(headers={"Authorization": "Bearer {token}"})


class TokenExchangeAuth(Model):
    type: Literal["token_exchange"]
    request: Request  # e.g. POST /cgi/corpAccessToken/get/V2 with {appId: "{app_id}", ...}
    token_path: str  # where the token is in the answer
    values: dict[str, str] = {}  # more values read from the answer: {name: path} (fxiaoke's corpId)
    send: Send


Auth = Annotated[Union[BearerAuth, HeaderKeyAuth, OAuthRefreshAuth, TokenExchangeAuth], Field(discriminator="type")]
AUTH_TYPES = ("bearer", "header", "oauth_refresh", "token_exchange")


class ErrorRule(Model):
    """Errors in a 200 body: `code_path` not in `ok` is an error; `renew_codes` mean the token expired (one new
    token, the call once more), `retry_codes` mean "too frequent" (wait `retry_seconds`, up to `retry_attempts`)."""

    code_path: str
    message_path: str | None = None
    ok: list[int | str] = [0]
    renew_codes: list[int | str] = []
    retry_codes: list[int | str] = []
    retry_seconds: float = 1.0
    retry_attempts: int = 5


class RateLimit(Model):
    requests: PositiveInt
    seconds: PositiveFloat


# ------------------------------------------------------------------ option labels
class DescribeOptions(Request):
    """A describe endpoint listing each field's options: `fields_path` holds a map {field: {...}} or a list of
    fields named by `field_name_key`; each field's `options_key` list holds {value_key, label_key}."""

    method: Literal["GET", "POST"] = "POST"
    fields_path: str
    field_name_key: str = "api_name"
    options_key: str = "options"
    value_key: str = "value"
    label_key: str = "label"


class OptionSet(Model):
    describe: DescribeOptions | None = None
    static: dict[str, dict[str, str]] | None = None  # {field: {value: label}}

    @model_validator(mode="after")
    def _one_source(self) -> OptionSet:
        if (self.describe is None) == (self.static is None):
            raise ValueError("expected exactly one of describe, static")
        return self


# ------------------------------------------------------------------ endpoints and column mapping
def _path_or_map(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


class Column(Model):
    """Where one canonical column comes from: a dotted `path` (list items by number: owner.0) or a constant
    `value`; then `labels` (option set[.field]: option value -> label), `map` (value -> value, `otherwise` for
    the rest; without it an unmapped value is quarantined), `format` for times (epoch_ms, epoch_s, iso; date for
    a YYYY-MM-DD day) and `multiply` for units (万 -> 元: 10000)."""

    path: str | None = None
    value: Any = None
    labels: str | None = None
    map: dict[str, Any] | None = None
    otherwise: Any = None
    format: Literal["epoch_ms", "epoch_s", "iso", "date"] | None = None
    multiply: Decimal | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Column:
        if (self.path is None) == (self.value is None):
            raise ValueError("expected exactly one of path, value")
        return self


ColumnSpec = Annotated[Column, BeforeValidator(_path_or_map)]


class Incremental(Model):
    """The record's change time (`field`, as `format`); `{since}` in params or body is the saved cursor (or
    `initial` on a first run) written as `send_format` (default: `format`)."""

    field: str
    format: Literal["epoch_ms", "epoch_s", "iso"]
    initial: int | str = 0
    send_format: Literal["epoch_ms", "epoch_s", "iso"] | None = None


class Parent(Model):
    endpoint: str  # another endpoint; `{parent}` in the path is this one's `field` of each of its records
    field: str = "id"


class Endpoint(Request):
    table: Literal["deals", "deal_stage_changes", "owners", "companies", "people"]
    data_selector: str = "$"
    paging: Paging | None = None  # none: a single page
    incremental: Incremental | None = None
    parent: Parent | None = None
    columns: dict[str, ColumnSpec]

    @model_validator(mode="after")
    def _columns_of_table(self) -> Endpoint:
        known = CANONICAL[self.table]
        unknown = [name for name in self.columns if name not in known]
        if unknown:
            raise ValueError(f"columns.{unknown[0]}: not a column of {self.table}; expected one of {', '.join(known)}")
        key = next(iter(known))
        if key not in self.columns:
            raise ValueError(f"columns.{key}: missing; the key of {self.table} must be mapped")
        return self


class CrmSpec(Model):
    name: str | None = None  # default: the file name without .yaml
    base_url: str
    timezone: str = "UTC"  # for naive times and for days of epoch times
    settings: dict[str, SettingSpec] = {}
    auth: Auth | None = None
    errors: ErrorRule | None = None
    rate_limit: RateLimit | None = None
    options: dict[str, OptionSet] = {}
    endpoints: dict[str, Endpoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> CrmSpec:
        for key in self.settings:
            if not NAME.fullmatch(key):
                raise ValueError(f"settings: {key!r} is not a setting name (lower case letters, digits, _)")
        secrets = {key for key, setting in self.settings.items() if setting.secret}
        for where, names in _secret_references(self.auth).items():
            for name in names:
                if name not in secrets:
                    raise ValueError(f"auth.{where}: {name!r} is not a secret setting of this file: declare it "
                                     f"under settings with secret: true")
        runtime = RUNTIME_NAMES | set(self.settings) | set(getattr(self.auth, "values", {}) or {})
        for where, template in _templates(self):
            for name in PLACEHOLDER.findall(template):
                if name not in runtime:
                    raise ValueError(f"{where}: {{{name}}} names no setting of this file (settings: "
                                     f"{', '.join(self.settings) or 'none'})")
        for name, endpoint in self.endpoints.items():
            if endpoint.parent and endpoint.parent.endpoint not in self.endpoints:
                raise ValueError(f"endpoints.{name}.parent.endpoint: {endpoint.parent.endpoint!r} is not an endpoint "
                                 f"of this file")
            for column, spec in endpoint.columns.items():
                if spec.labels and spec.labels.split(".")[0] not in self.options:
                    raise ValueError(f"endpoints.{name}.columns.{column}.labels: {spec.labels!r} names no option set "
                                     f"under options ({', '.join(self.options) or 'none'})")
        return self


def _secret_references(auth: Any) -> dict[str, list[str]]:
    if isinstance(auth, BearerAuth):
        return {"token": [auth.token]}
    if isinstance(auth, HeaderKeyAuth):
        return {"key": [auth.key]}
    if isinstance(auth, OAuthRefreshAuth):
        return {"client_secret": [auth.client_secret], "refresh_token": [auth.refresh_token]}
    return {}


def _strings(value: Any, where: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _strings(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _strings(item, f"{where}.{index}")]
    return []


def _templates(spec: CrmSpec) -> list[tuple[str, str]]:
    """Every string that may hold `{placeholders}`, with its key path."""
    found: list[tuple[str, str]] = []
    requests: list[tuple[str, Any]] = [(f"endpoints.{name}", endpoint) for name, endpoint in spec.endpoints.items()]
    requests += [(f"options.{name}.describe", option.describe) for name, option in spec.options.items()
                 if option.describe]
    if isinstance(spec.auth, TokenExchangeAuth):
        requests.append(("auth.request", spec.auth.request))
    for where, request in requests:
        found += _strings(request.path, f"{where}.path") + _strings(request.params, f"{where}.params")
        found += _strings(request.body or {}, f"{where}.body") + _strings(request.headers, f"{where}.headers")
    send = getattr(spec.auth, "send", None)
    if send is not None:
        found += _strings(send.model_dump(), "auth.send")
    return found


# ------------------------------------------------------------------ loading, with one-line errors
def shown(path: Path) -> str:
    """The file as messages name it: its folder and name (crms/fxiaoke.yaml)."""
    return f"{path.parent.name}/{path.name}"


def _expected(error: dict[str, Any]) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    tags = PAGING_TYPES if error["loc"] and error["loc"][-1] == "paging" else AUTH_TYPES
    got = f"; got {value!r}" if isinstance(value, (str, int, float, bool)) or value is None else ""
    if kind == "union_tag_invalid":
        tags = ", ".join(tag.strip().strip("'") for tag in str(ctx.get("expected_tags", "")).split(","))
        return f"expected one of {tags}; got {ctx.get('tag')!r}"
    if kind == "union_tag_not_found":
        return f"missing; expected one of {', '.join(tags)}"
    if kind == "literal_error":
        options = str(ctx.get("expected", "")).replace(" or ", ", ").replace("'", "")
        return f"expected one of {options}{got}"
    if kind == "missing":
        return "missing; this key is required"
    if kind == "extra_forbidden":
        return "unknown key (misspelt, or not a key here)"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number{got}"
    if kind.startswith("greater_than"):
        return f"expected a number greater than {ctx.get('gt', 0)}{got}"
    if kind in ("string_type",):
        return f"expected text{got}"
    if kind in ("model_type", "model_attributes_type") and len(error["loc"]) > 1 and error["loc"][-2] == "columns":
        return f"expected a field path (text) or a mapping with path or value{got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of keys{got}"
    if kind in ("list_type",):
        return f"expected a list{got}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false{got}"
    if kind in ("too_short",):
        return "expected at least one entry"
    return f"{error['msg']}{got}"


def _key_path(loc: tuple[Any, ...], kind: str) -> str:
    """The key path of an error location, without pydantic's union member names (paging's 'offset', ...)."""
    parts: list[str] = []
    for index, part in enumerate(loc):
        previous = loc[index - 1] if index else None
        if (previous == "paging" and part in PAGING_TYPES) or (previous == "auth" and part in AUTH_TYPES):
            continue
        if str(part).startswith("function-"):  # a validator's wrapper (a column given as a path)
            continue
        parts.append(str(part))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        parts.append("type")
    return ".".join(parts)


def load_spec(path: Path) -> CrmSpec:
    """The checked spec of one YAML CRM file; SpecError (one line) for invalid YAML or any invalid key. Read once
    per version of the file (its modification time and size): Dagster's definitions ask for it once per table."""
    try:
        stat = Path(path).stat()
    except OSError:
        return _read_spec(Path(path))  # says in one line that the file is missing
    return _read_spec_version(Path(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=128)
def _read_spec_version(path: Path, mtime_ns: int, size: int) -> CrmSpec:
    return _read_spec(path)


def _read_spec(path: Path) -> CrmSpec:
    document = read_yaml(path, SpecError, "YAML CRM file")
    if not isinstance(document, dict):
        raise SpecError(f"{shown(path)}: expected a mapping of keys (base_url, auth, endpoints, ...)")
    try:
        spec = CrmSpec.model_validate(document)
    except ValidationError as problem:
        error = problem.errors(include_url=False)[0]
        where = _key_path(tuple(error["loc"]), error["type"])
        said = _expected(error)
        inner = re.match(r"([\w.]+): ", said)  # a model check names the key below it ("columns.foo: ...")
        if inner and where and not said.startswith(("auth.", "endpoints.", "options.", "settings:")):
            where, said = f"{where}.{inner.group(1)}", said[inner.end():]
        # a whole-spec check names its key itself ("auth.token: ...")
        raise SpecError(f"{shown(path)}: {where + ': ' if where else ''}{said}") from None
    name = spec.name or path.stem
    if not NAME.fullmatch(name):
        raise SpecError(f"{shown(path)}: name: expected lower case letters, digits and _ (it names the dataset "
                        f"raw_<name>); got {name!r}")
    return spec.model_copy(update={"name": name})


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
