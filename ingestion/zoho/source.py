"""The `zoho` dlt source: the module specs of settings.py as one rest_api config (refresh-token grant at the accounts
server, `Authorization: Zoho-oauthtoken`, page then page_token paging, If-Modified-Since from the saved
Modified_Time cursor, Stage_History per deal changed in this run, deleted records, users, the pipelines' stages);
rows: rows.py. Docs followed: see settings.py."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from functools import cache
from typing import Any, Optional

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.extract import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import SinglePagePaginator
from dlt.sources.rest_api import rest_api_resources

from ingestion.common.auth import TokenEndpointAuth
from ingestion.common.incremental import cursor_step, incremental, saved_cursor
from ingestion.common.reconcile import Reconciliation
from ingestion.common.rest import api_session, page_then_token, resource_defaults
from ingestion.common.schema import declare_table
from ingestion.common.shaping import record_id_number, shape_page
from ingestion.zoho import rows
from ingestion.zoho.errors import RESPONSE_ACTIONS, SECRETS, ZOHO, check_base_url
from ingestion.zoho.settings import (
    API_VERSION, AUTH_SCHEME, CURSOR_FIELD, DATA_CENTRES, DEALS, DELETED_MODULES, DELETED_TYPE, FIELDS_PATH,
    LAYOUTS_PATH, MODULES, PAGE_RECORDS_LIMIT, PER_PAGE, PIPELINES_PATH, STAGE_HISTORY, TOKEN_PATH, USERS_PATH,
)

CURSOR, DELETED_CURSOR = "modified_ms", "deleted_ms"  # epoch ms: Zoho's times carry mixed offsets
# 204: no records at all; 304: none changed since If-Modified-Since. Both without a body: the listing ends
NO_CONTENT = [{"status_code": 204, "action": "ignore"}, {"status_code": 304, "action": "ignore"}]
SINGLE = {"paginator": "single_page"}


def _since_header(resource: str, cursor: str) -> tuple[dict[str, str], str]:
    """If-Modified-Since of the saved cursor (ISO 8601 with offset, as Zoho writes it) and the route in words."""
    since = saved_cursor(resource, cursor)
    if since is None:
        return {}, "listed all (first run)"
    moment = datetime.fromtimestamp(int(since) / 1000, tz=timezone.utc).isoformat(timespec="seconds")
    return {"If-Modified-Since": moment}, f"If-Modified-Since {moment}"


def _listing(name: str, path: str, cursor_field: str, cursor: str, **endpoint: Any) -> tuple[dict[str, Any], str]:
    headers, route = _since_header(name, cursor)
    return {"name": name, "selected": False, "processing_steps": [cursor_step(cursor, lambda r: r.get(cursor_field))],
            "endpoint": {"path": path, "headers": headers, "incremental": incremental(cursor), **endpoint}}, route


def _loader(table: str, to_row: Callable[[Any], dict[str, Any]], tally: Any) -> Callable[[list[Any]], Iterator[Any]]:
    """Transformer body: a page of records as one Arrow table, bad ones quarantined (row number: the record id)."""
    number = record_id_number("id")

    def load(items: list[Any]) -> Iterator[Any]:
        page, bad = shape_page(items, to_row, tally, rows.SCHEMAS[table], table, number)
        yield from bad
        if len(page):
            yield page

    return load


def _stage_items(client: RESTClient) -> Callable[[list[Any]], Iterator[list[Any]]]:
    """Pipelines (one answer per Deals layout) -> one item per stage of each pipeline not seen yet; the Stage
    picklist's probabilities (GET settings/fields?module=Deals) asked once, when a stage has none of its own."""
    seen: set[Any] = set()

    @cache
    def probabilities() -> dict[str, Any]:
        pages = client.paginate(FIELDS_PATH, params={"module": DEALS.module}, data_selector="fields",
                                paginator=SinglePagePaginator(), hooks={"response": RESPONSE_ACTIONS})
        return rows.stage_probabilities(field for page in pages for field in page)

    def stages(pipelines: list[Any]) -> Iterator[list[Any]]:
        fresh = [p for p in pipelines if not isinstance(p, dict) or p.get("id") not in seen]
        seen.update(p.get("id") for p in fresh if isinstance(p, dict))
        yield [item for pipeline in fresh for item in rows.stage_items(pipeline, probabilities)]

    return stages


Feed = tuple[str, str, str, Callable[[Any], dict[str, Any]]]  # (transformer, table, rest_api resource, row function)


def _resources(paging: Callable[[], Any]) -> tuple[list[dict[str, Any]], dict[str, str], list[Feed]]:
    """The rest_api resources (modules, Stage_History per listed deal, deleted records, users, layouts and their
    pipelines), each table's route in words, and the feeds of the raw tables; `paging()` makes one paginator."""
    configs, routes, feeds = [], {}, []
    for spec in MODULES:
        config, routes[spec.table] = _listing(f"{spec.table}_api", spec.path, CURSOR_FIELD, CURSOR,
                                              params={"fields": spec.fields_param, **(spec.params or {})},
                                              paginator=paging())
        configs.append(config)
        feeds.append((spec.table, spec.table, config["name"], rows.READERS[spec.table]()))
    configs.append({"name": "deal_stage_history_api", "selected": False, "parallelized": True,
                    "include_from_parent": ["id"],
                    "endpoint": {"path": f"{DEALS.path}/{{resources.deals_api.id}}/{STAGE_HISTORY.api_name}",
                                 "params": {"fields": ",".join(f.name for f in STAGE_HISTORY.fields if f.name != "id")},
                                 "paginator": paging()},
                    "processing_steps": [{"map": lambda item: {**item, "deal_id": item.pop("_deals_api_id", None)}}]})
    routes["deal_stage_history"] = "the Stage_History of each deal listed in this run"
    feeds.append(("deal_stage_history", "deal_stage_history", "deal_stage_history_api",
                  rows.READERS["deal_stage_history"]()))
    deleted_routes = []
    for module in DELETED_MODULES:
        config, route = _listing(f"deleted_{module.lower()}_api", f"crm/{API_VERSION}/{module}/deleted",
                                 "deleted_time", DELETED_CURSOR, params={"type": DELETED_TYPE}, paginator=paging())
        configs.append(config)
        deleted_routes.append(f"{module}: {route}")
        feeds.append((f"deleted_{module.lower()}", "deleted_records", config["name"], rows.deleted_reader(module)))
    routes["deleted_records"] = "; ".join(deleted_routes)
    configs += [
        {"name": "users_api", "selected": False, "endpoint": {
            "path": USERS_PATH, "params": {"type": "AllUsers"}, "data_selector": "users", "paginator": paging()}},
        {"name": "layouts_api", "selected": False, "endpoint": {
            "path": LAYOUTS_PATH, "params": {"module": DEALS.module}, "data_selector": "layouts", **SINGLE}},
        {"name": "pipelines_api", "selected": False, "endpoint": {
            "path": PIPELINES_PATH, "params": {"layout_id": "{resources.layouts_api.id}"},
            "data_selector": "pipeline", **SINGLE}}]
    routes.update(users="all users (type=AllUsers)", stages="the pipelines of each Deals layout")
    feeds += [("users", "users", "users_api", rows.READERS["users"]()),
              ("stages", "stages", "stage_items", rows.stage_item_row)]
    return configs, routes, feeds


@dlt.source(name="zoho", section="zoho", max_table_nesting=0)
def zoho_source(client_id: TSecretStrValue = dlt.secrets.value, client_secret: TSecretStrValue = dlt.secrets.value,
                refresh_token: TSecretStrValue = dlt.secrets.value, accounts_url: str = dlt.config.value,
                api_domain: Optional[str] = None, reconciliation: Reconciliation | None = None,
                per_page: int = PER_PAGE) -> list[DltResource]:
    """Zoho CRM v8 leads (converted ones too), accounts, contacts, deals (incremental on Modified_Time by
    If-Modified-Since, merged on id), the Stage_History of each deal listed in this run, deleted records of those
    modules (incremental on deleted_time), users (all, every run) and the stages of the Deals pipelines.

    Settings under [sources.zoho]: `accounts_url` (the data centre's accounts server) and optional `api_domain`
    (else the token answer's api_domain) in config.toml; `client_id`, `client_secret`, `refresh_token` in
    secrets.toml. Build it after its pipeline exists: the saved cursors choose what is asked for. `per_page` up to
    200 records per request; past 2,000 records of one listing Zoho pages by page_token."""
    check_base_url(accounts_url)
    recon = reconciliation if reconciliation is not None else Reconciliation("zoho")
    session = api_session(ZOHO)
    auth = TokenEndpointAuth(access_token_url=f"{accounts_url.rstrip('/')}{TOKEN_PATH}", client_id=client_id,
                             client_secret=client_secret, refresh_token=refresh_token, grant_type="refresh_token",
                             vendor=ZOHO.name, check=SECRETS, session=session, scheme=AUTH_SCHEME,
                             instance_url_key="api_domain", default_token_expiration=3600)
    domain = api_domain or auth.login() or DATA_CENTRES.get(accounts_url.rstrip("/"), accounts_url)
    check_base_url(domain)
    client = {"base_url": f"{domain.rstrip('/')}/", "auth": auth, "session": session}
    configs, routes, feeds = _resources(lambda: page_then_token(per_page, PAGE_RECORDS_LIMIT))
    defaults = resource_defaults("data", [*NO_CONTENT, *RESPONSE_ACTIONS])
    api = {r.name: r for r in rest_api_resources({"client": client, "resource_defaults": defaults,
                                                  "resources": configs})}
    api["stage_items"] = dlt.transformer(_stage_items(RESTClient(**client)), name="stage_items", selected=False,
                                         data_from=api["pipelines_api"])
    tallies = {}
    for table in dict.fromkeys(table for _, table, _, _ in feeds):
        declare_table(table, rows.COLUMNS[table], primary_key=list(rows.KEYS[table]))
        tallies[table] = recon.tally(f"zoho/{table}", "api")
        tallies[table].detail = routes[table]
    transformers = [dlt.transformer(_loader(table, to_row, tallies[table]), name=name, table_name=table,
                                    write_disposition="merge", primary_key=list(rows.KEYS[table]),
                                    data_from=api[feed])
                    for name, table, feed, to_row in feeds]
    return [*api.values(), *transformers]
