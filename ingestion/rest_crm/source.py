"""The dlt source of one YAML CRM: its endpoints as one rest_api config (paging, incremental cursor, child
endpoints, auth and error rule of auth.py), each endpoint's records shaped onto its canonical table (values.py) by
the shared loop, the option labels read once from the describe endpoint, and the `crm_spec` marker row."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dlt
from dlt.sources.rest_api import rest_api_resources

from ingestion.common import api_errors
from ingestion.common.errors import FunnelhouseError
from ingestion.common.incremental import cursor_step, incremental, saved_cursor
from ingestion.common.limits import Limiter
from ingestion.common.reconcile import Reconciliation
from ingestion.common.rest import ShortPageOffsetPaginator, api_session, resource_defaults
from ingestion.common.schema import declare_table
from ingestion.common.shaping import record_id_number, shape_page
from ingestion.common.vendor import Vendor
from ingestion.rest_crm import columns
from ingestion.rest_crm.auth import AuthPlan, CrmAuth
from ingestion.rest_crm.spec import (
    CrmSpec, CursorPaging, Endpoint, JsonLinkPaging, LinkHeaderPaging, OffsetPaging, PageNumberPaging, file_sha256,
    load_spec, shown,
)
from ingestion.rest_crm.values import dig, from_epoch_ms, render, row_reader, to_epoch_ms

CURSOR = "_cursor_ms"  # the comparable cursor put on each record of an incremental endpoint (epoch ms)
PARENT = "_parent"  # a child record's parent field, as `{parent}` was filled in its path


def env_name(crm: str, key: str) -> str:
    return f"FUNNELHOUSE_{crm.upper()}_{key.upper()}"


def where(crm: str, key: str, secret: bool) -> str:
    return (f"{key} under [sources.{crm}] in .dlt/{'secrets' if secret else 'config'}.toml or "
            f"{env_name(crm, key)}")


def vendor_of(spec: CrmSpec) -> Vendor:
    secrets = [key for key, setting in spec.settings.items() if setting.secret]
    return Vendor(name=spec.name or "", base_url_setting=where(spec.name or "", "base_url", False),
                  token_setting="; ".join(where(spec.name or "", key, True) for key in secrets) or "the settings",
                  example_url=spec.base_url)


def _configured(crm: str, key: str, secret: bool) -> Any:
    try:
        return (dlt.secrets if secret else dlt.config).get(f"sources.{crm}.{key}")
    except Exception:  # noqa: BLE001 - an unreadable config is the same as none here
        return None


def resolve_settings(spec: CrmSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting the file declares: given (CLI / env), else dlt config or secrets, else its default; one
    line naming where to set the first missing one."""
    crm = spec.name or ""
    values: dict[str, Any] = {}
    for key, setting in spec.settings.items():
        value = given.get(key) or _configured(crm, key, setting.secret) or setting.default
        if value in (None, ""):
            raise FunnelhouseError(f"{crm}: {key} is not configured: set {where(crm, key, setting.secret)}")
        values[key] = value
    return values


def paginator(endpoint: Endpoint) -> Any:
    """The dlt rest_api paginator of an endpoint's paging."""
    paging = endpoint.paging
    if paging is None:
        return "single_page"
    if isinstance(paging, CursorPaging):
        place = ({"cursor_param": paging.cursor_param} if paging.cursor_param
                 else {"cursor_body_path": paging.cursor_body_path})
        return {"type": "cursor", "cursor_path": paging.cursor_path, **place}
    if isinstance(paging, OffsetPaging):
        options = {key: value for key, value in paging.model_dump(exclude={"type"}).items() if value is not None}
        return ShortPageOffsetPaginator(**{"total_path": None, **options})
    if isinstance(paging, PageNumberPaging):
        return {"type": "page_number", "page_param": paging.page_param, "base_page": paging.base_page,
                "total_path": paging.total_path}
    if isinstance(paging, LinkHeaderPaging):
        return {"type": "header_link", "links_next_key": paging.rel}
    assert isinstance(paging, JsonLinkPaging)
    return {"type": "json_link", "next_url_path": paging.next_url_path}


def _initial_ms(endpoint: Endpoint, zone: ZoneInfo) -> int:
    spec = endpoint.incremental
    assert spec is not None
    value = to_epoch_ms(spec.initial, spec.format, zone)
    return value if value is not None else 0


def _api_resource(name: str, endpoint: Endpoint, settings: Mapping[str, Any], zone: ZoneInfo,
                  actions: list[Any]) -> tuple[dict[str, Any], str]:
    """The rest_api resource of an endpoint (not selected: its transformer loads) and its route in words."""
    names: dict[str, Any] = dict(settings)
    route = "listed all"
    resource: dict[str, Any] = {"name": f"{name}_api", "selected": False}
    cursor = endpoint.incremental
    if cursor is not None:
        start = saved_cursor(f"{name}_api", CURSOR)
        names["since"] = from_epoch_ms(start if start is not None else _initial_ms(endpoint, zone),
                                       cursor.send_format or cursor.format)
        route = f"changed since {names['since']}" if start is not None else "listed all (first run)"
        resource["processing_steps"] = [cursor_step(CURSOR, lambda record: dig(record, cursor.field),
                                                    lambda value: to_epoch_ms(value, cursor.format, zone))]
    path = render(endpoint.path, names)
    if endpoint.parent is not None:
        parent, field = endpoint.parent.endpoint, endpoint.parent.field
        path = path.replace("{parent}", f"{{resources.{parent}_api.{field}}}")
        resource["include_from_parent"] = [field]
        resource["parallelized"] = False

        parent_key = f"_{parent}_api_{field}"  # where rest_api's include_from_parent puts it

        def with_parent(item: Any) -> Any:  # one parameter: dlt passes `meta` to a second one
            if isinstance(item, dict):
                item[PARENT] = item.pop(parent_key, None)
            return item

        resource.setdefault("processing_steps", []).append({"map": with_parent})
        route = f"one request per {parent} record listed in this run"
    config: dict[str, Any] = {"path": path, "method": endpoint.method, "data_selector": endpoint.data_selector,
                              "paginator": paginator(endpoint), "response_actions": actions,
                              "params": render(endpoint.params, names)}
    if isinstance(endpoint.paging, PageNumberPaging) and endpoint.paging.page_size:
        config["params"][endpoint.paging.size_param] = endpoint.paging.page_size
    if endpoint.body is not None:
        config["json"] = render(endpoint.body, names)
    if endpoint.headers:
        config["headers"] = render(endpoint.headers, names)
    if cursor is not None:
        config["incremental"] = incremental(CURSOR, initial_value=_initial_ms(endpoint, zone))
    key_path = endpoint.columns[columns.key_of(endpoint.table)].path
    resource["primary_key"] = key_path if key_path and "." not in key_path else []
    resource["endpoint"] = config
    return resource, route


def _label_loader(spec: CrmSpec, auth: CrmAuth, session: Any, base_url: str, vendor: Vendor,
                  settings: Mapping[str, Any]) -> Callable[[str], Mapping[str, str]]:
    """`labels("set.field")` -> {option value: label}: a describe endpoint read once per set (on the first record
    that needs it), or the file's static map."""

    @cache
    def option_set(name: str) -> dict[str, dict[str, str]]:
        options = spec.options[name]
        if options.static is not None:
            return {field: dict(values) for field, values in options.static.items()}
        describe = options.describe
        assert describe is not None
        url = base_url.rstrip("/") + "/" + render(describe.path, settings).lstrip("/")
        response = session.request(describe.method, url, params=render(describe.params, settings),
                                   json=render(describe.body, settings) if describe.body is not None else None,
                                   headers=render(describe.headers, settings), auth=auth)
        if response.status_code >= 400:
            raise FunnelhouseError(api_errors.response_message(vendor, response))
        fields = dig(response.json(), describe.fields_path)
        if isinstance(fields, list):
            fields = {str(item.get(describe.field_name_key)): item for item in fields if isinstance(item, dict)}
        if not isinstance(fields, dict):
            raise FunnelhouseError(f"{spec.name}: the describe answer of {describe.path} has no fields at "
                                   f"{describe.fields_path}: check options.{name}.describe.fields_path")
        return {field: {str(option.get(describe.value_key)): str(option.get(describe.label_key))
                        for option in (about.get(describe.options_key) or []) if isinstance(option, dict)}
                for field, about in fields.items() if isinstance(about, dict)}

    def labels(reference: str) -> Mapping[str, str]:
        name, _, field = reference.partition(".")
        found = option_set(name)
        if field:
            return found.get(field, {})
        merged: dict[str, str] = {}
        for values in found.values():
            merged.update(values)
        return merged

    return labels


def as_sent(record: Any) -> Any:
    """A record as the CRM sent it (without the cursor and parent keys the source adds), for the quarantine."""
    if isinstance(record, dict):
        return {key: value for key, value in record.items() if key not in (CURSOR, PARENT)}
    return record


def _loader(to_row: Callable[[Any], dict[str, Any]], tally: Any, table: str,
            number_key: str) -> Callable[[list[Any]], Iterator[Any]]:
    number = record_id_number(number_key)
    schema = columns.SCHEMAS[table]

    def load(items: list[Any]) -> Iterator[Any]:
        page, bad = shape_page(items, to_row, tally, schema, table, number, raw_record=as_sent)
        yield from bad
        if len(page):
            yield page

    return load


def _build(spec: Any, spec_path: str, reconciliation: Any = None, given: Any = None) -> list[Any]:
    crm = spec.name
    given = dict(given or {})
    settings = resolve_settings(spec, given)
    base_url = given.get("base_url") or _configured(crm, "base_url", False) or spec.base_url
    vendor = vendor_of(spec)
    api_errors.check_base_url(vendor, base_url)
    recon = reconciliation if reconciliation is not None else Reconciliation(crm)
    limit = spec.rate_limit
    session = api_session(vendor, Limiter(limit.requests, limit.seconds) if limit else None)
    secrets = [key for key, setting in spec.settings.items() if setting.secret]
    check = (f"{', '.join(secrets)} under [sources.{crm}] in .dlt/secrets.toml or "
             f"{', '.join(env_name(crm, key) for key in secrets)}") if secrets else "the CRM's settings"
    auth = CrmAuth.for_plan(AuthPlan(spec, base_url, settings, session, check))
    actions = api_errors.response_actions(vendor)
    zone = ZoneInfo(spec.timezone)
    labels = _label_loader(spec, auth, session, base_url, vendor, settings)
    configs, transformers_of = [], []
    for name, endpoint in spec.endpoints.items():
        resource, route = _api_resource(name, endpoint, settings, zone, actions)
        configs.append(resource)
        tally = recon.tally(f"{crm}/{name}", "api")
        tally.detail = route
        key = columns.key_of(endpoint.table)
        to_row = row_reader(endpoint.table, endpoint.columns, labels, zone, crm, name)
        number_key = endpoint.columns[key].path or key
        transformers_of.append((name, endpoint.table, _loader(to_row, tally, endpoint.table, number_key)))
    for table in dict.fromkeys(endpoint.table for endpoint in spec.endpoints.values()):
        declare_table(table, columns.hints(table), primary_key=[columns.key_of(table)])
    declare_table(columns.SPEC_TABLE, {key: {"data_type": kind, "nullable": False}
                                       for key, kind in columns.SPEC_COLUMNS.items()},
                  write_disposition="replace")
    api = {resource.name: resource for resource in rest_api_resources({
        "client": {"base_url": base_url, "auth": auth, "session": session},
        "resource_defaults": resource_defaults("$", actions), "resources": configs})}
    loaded = [dlt.transformer(load, name=name, table_name=table, write_disposition="merge",
                              primary_key=columns.key_of(table), data_from=api[f"{name}_api"])
              for name, table, load in transformers_of]
    path = Path(spec_path)
    marker = {"crm_name": crm, "spec_file": path.name, "spec_sha256": file_sha256(path)}
    spec_row = dlt.resource([marker], name=columns.SPEC_TABLE, write_disposition="replace")
    return [*api.values(), *loaded, spec_row]


def rest_crm_source(spec_file: str, reconciliation: Reconciliation | None = None, **settings: Any) -> Any:
    """The dlt source of the YAML CRM in `spec_file` (named after the file, or its `name:`), loading into
    `raw_<name>`; `settings` override the file's settings and base_url (else dlt config / secrets)."""
    path = Path(spec_file)
    spec = load_spec(path)
    make = dlt.source(name=spec.name, section=spec.name, max_table_nesting=0)(_build)
    return make(spec=spec, spec_path=str(path), reconciliation=reconciliation, given=settings)


def entity_tables(spec_file: str) -> set[str]:
    """The canonical tables a YAML CRM fills (checked for rows by ingest)."""
    return {endpoint.table for endpoint in load_spec(Path(spec_file)).endpoints.values()}


__all__ = ["entity_tables", "rest_crm_source", "shown"]
