"""The `pipedrive` dlt source: the entity specs of settings.py as one rest_api config (x-api-token, cursor
paging, incremental on update_time, the deleted-deals sweep, the changelog per listed deal); rows: rows.py."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.extract import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.rest_api import rest_api_resources
from dlt.sources.rest_api.config_setup import create_paginator

from ingestion.common.api_errors import check_base_url
from ingestion.common.auth import bearer, header_token
from ingestion.common.incremental import incremental, saved_cursor
from ingestion.common.limits import Limiter
from ingestion.common.reconcile import Reconciliation
from ingestion.common.rest import api_session, cursor_paging, offset_paging, resource_defaults
from ingestion.common.schema import declare_table
from ingestion.common.shaping import record_id_number, shape_page
from ingestion.common.vendor import PIPEDRIVE_RATE_HEADERS
from ingestion.pipedrive import rows
from ingestion.pipedrive.errors import PIPEDRIVE, RESPONSE_ACTIONS
from ingestion.pipedrive.settings import (
    BURST_LIMIT_API_TOKEN, BURST_WINDOW_SECONDS, DEAL_FIELDS, ENTITIES, INITIAL_UPDATED_SINCE, PAGE_LIMIT,
    TOKEN_HEADER, Child, EntitySpec,
)

DEFAULTS = resource_defaults("data", RESPONSE_ACTIONS, cursor_paging("additional_data.next_cursor", "cursor"))
FIELDS_PAGING = offset_paging(PAGE_LIMIT, has_more_path="additional_data.pagination.more_items_in_collection")
# a deal deleted between its listing and its changelog read answers 404: nothing left to read for it
GONE = {"status_code": 404, "action": "ignore"}
READERS = {"deal_stage_changes": rows.stage_change_reader, "pipelines": rows.pipeline_reader,
           "stages": rows.stage_reader, "persons": rows.person_reader,
           "organizations": rows.organization_reader, "users": rows.user_reader}
ROW_NUMBER_KEYS = {"deal_stage_changes": "deal_id"}  # a bad stage change is found by its deal
CHILD_ROUTE = "the changelog of each deal listed in this run"
# until Pipedrive's first answer announces the plan's limit (x-ratelimit-limit per 2 s), or where none does
START_RATE_LIMIT = BURST_LIMIT_API_TOKEN["professional"]
Shaping = Callable[[], tuple[Callable[[Any], dict[str, Any]], Any]]  # () -> (row function, Arrow schema)


def _listing(spec: EntitySpec, name: str, sweep: dict[str, Any],
             page_size: int) -> tuple[dict[str, Any], str]:
    """The rest_api resource of one listing and its route in words: with a cursor, `updated_since` the saved
    cursor (inclusive: dlt's incremental drops the deals at that instant it already loaded)."""
    endpoint: dict[str, Any] = {"path": spec.path, "params": {**spec.params, **sweep}}
    if spec.paging == "none":
        endpoint["paginator"] = "single_page"
    else:
        endpoint["params"]["limit"] = page_size
    route = "listed all"
    if spec.cursor and spec.since_param:
        endpoint["params"][spec.since_param] = "{incremental.start_value}"
        endpoint["incremental"] = incremental(spec.cursor, initial_value=INITIAL_UPDATED_SINCE)
        since = saved_cursor(name, spec.cursor)
        route = f"{spec.since_param} {since}" if since else "listed all (first run)"
    return {"name": name, "selected": False, "endpoint": endpoint}, route


def _child(child: Child, parent: str, page_size: int) -> dict[str, Any]:
    """One request (and its pages) per deal the parent listed in this run; the kept items carry `deal_id`."""
    field, value = child.keep or (None, None)

    def with_parent_id(item: dict[str, Any]) -> dict[str, Any]:
        item["deal_id"] = item.pop(f"_{parent}_id", None)
        return item

    # dlt's worker threads read several deals' changelogs at once: each read waits on the network, and the
    # limiter (thread-safe) keeps them all within the burst limit
    return {"name": f"{child.name}_{parent}", "selected": False, "parallelized": True,
            "include_from_parent": ["id"],
            "endpoint": {"path": child.path.replace("{id}", f"{{resources.{parent}.id}}"),
                         "params": {"limit": page_size}, "response_actions": [GONE, *RESPONSE_ACTIONS]},
            "processing_steps": [{"filter": lambda item: field is None or item.get(field) == value},
                                 {"map": with_parent_id}]}


def _moved_since(since: str | None) -> Callable[[list[Any]], list[Any]]:
    """The deals whose stage moved (stage_change_time set; on later runs at or after the saved cursor): the
    only ones whose changelog can hold a stage move not loaded yet."""

    def moved(deals: list[Any]) -> list[Any]:
        return [deal for deal in deals if isinstance(deal, dict) and deal.get("stage_change_time")
                and (since is None or str(deal["stage_change_time"]) >= since)]

    return moved


def _loader(table: str, shaping: Shaping, tally: Any, key: str) -> Callable[[list[Any]], Iterator[Any]]:
    """Transformer body: a page of records as one Arrow table of the table's columns, bad ones quarantined
    with their reason (row number: the record's id, a stage change's deal id)."""
    number = record_id_number(key)

    def load(items: list[Any]) -> Iterator[Any]:
        to_row, schema = shaping()
        page, bad = shape_page(items, to_row, tally, schema, table, number)
        yield from bad
        if len(page):
            yield page

    return load


def _fixed(to_row: Callable[[Any], dict[str, Any]], schema: Any) -> Shaping:
    return lambda: (to_row, schema)


def _deal_shaping(client: RESTClient) -> Shaping:
    """Deals are shaped with their custom fields named: GET /api/v1/dealFields once, before the first page."""

    @cache
    def shaping() -> tuple[Callable[[Any], dict[str, Any]], Any]:
        pages = client.paginate(DEAL_FIELDS.path, paginator=create_paginator(FIELDS_PAGING),
                                hooks={"response": RESPONSE_ACTIONS})
        fields = rows.custom_fields(item for page in pages for item in page)
        return rows.deal_reader(fields), rows.deal_schema(fields)

    return shaping


@dlt.source(name="pipedrive", section="pipedrive", max_table_nesting=0)
def pipedrive_source(base_url: str = dlt.config.value, api_token: TSecretStrValue = dlt.secrets.value,
                     reconciliation: Reconciliation | None = None, page_size: int = PAGE_LIMIT,
                     rate_limit: int = START_RATE_LIMIT, rate_limit_from_api: bool = True,
                     changelogs: str = "listed", oauth: bool = False) -> list[DltResource]:
    """Pipedrive deals (incremental on update_time, merged on id; deleted ones kept with is_deleted), the
    stage moves of each deal listed in this run, pipelines, stages, persons, organizations (incremental),
    users.

    Settings: `[sources.pipedrive] base_url` (https://<company>.pipedrive.com or https://api.pipedrive.com)
    and `api_token`. Build it after its pipeline exists: the saved cursors choose what is asked for. At most
    `rate_limit` requests per 2 s (0: none), replaced by the x-ratelimit-limit Pipedrive announces.
    `changelogs` "listed" reads the changelog of every deal listed in this run, "moved" only of those whose
    stage moved since the last run (stage_change_time), which saves the reads a stage move cannot be in.
    `oauth` (`[sources.pipedrive] oauth = true`): `api_token` is an OAuth app's access token, sent as
    `Authorization: Bearer`, instead of a personal API token sent as `x-api-token`."""
    check_base_url(PIPEDRIVE, base_url)
    recon = reconciliation if reconciliation is not None else Reconciliation("pipedrive")
    session = api_session(PIPEDRIVE, Limiter(rate_limit, BURST_WINDOW_SECONDS, PIPEDRIVE_RATE_HEADERS,
                                             follow_api=rate_limit_from_api))
    auth = bearer(api_token) if oauth else header_token(TOKEN_HEADER, api_token)
    configs: list[dict[str, Any]] = []
    children: list[tuple[Child, str, str]] = []  # (child, the listing, the resource it reads its deals from)
    feeds: list[tuple[str, str, str]] = []  # (transformer, table, the rest_api resource it reads)
    routes: dict[str, list[str]] = {}
    for spec in ENTITIES:
        for sweep in ({}, *spec.sweeps):
            suffix = "".join(f"_{value}" for value in sweep.values())
            listing, route = _listing(spec, f"{spec.table}_api{suffix}", sweep, page_size)
            configs.append(listing)
            said = ", ".join(f"{key}={value}" for key, value in sweep.items())
            routes.setdefault(spec.table, []).append(f"{said}: {route}" if said else route)
            feeds.append((f"{spec.table}{suffix}", spec.table, listing["name"]))
            parent = listing["name"] + ("_moved" if changelogs == "moved" else "")
            for child in spec.children:
                children.append((child, listing["name"], parent))
                feeds.append((f"{child.table}{suffix}", child.table, f"{child.name}_{parent}"))
    client = {"base_url": base_url, "auth": auth, "session": session}
    shapings = {"deals": _deal_shaping(RESTClient(**client, data_selector="data")),
                **{table: _fixed(make(), rows.SCHEMAS[table]) for table, make in READERS.items()}}
    loaders = {}
    for table in dict.fromkeys(table for _, table, _ in feeds):
        declare_table(table, rows.COLUMNS[table], primary_key=[rows.KEYS[table]])
        tally = recon.tally(f"pipedrive/{table}", "api")
        tally.detail = "; ".join(routes.get(table, [CHILD_ROUTE]))
        loaders[table] = _loader(table, shapings[table], tally, ROW_NUMBER_KEYS.get(table, "id"))
    api = {r.name: r for r in rest_api_resources({"client": client, "resource_defaults": DEFAULTS,
                                                  "resources": configs})}
    for _, listing_name, parent in children:  # "moved": the listed deals pass a filter first
        api.setdefault(parent, dlt.transformer(_moved_since(saved_cursor(listing_name, "update_time")),
                                               name=parent, selected=False, data_from=api[listing_name]))
    parents = {parent: api[parent] for _, _, parent in children}
    for resource in rest_api_resources({"client": client, "resource_defaults": DEFAULTS, "resources": [
            *parents.values(), *(_child(child, parent, page_size) for child, _, parent in children)]}):
        api.setdefault(resource.name, resource)
    transformers = [dlt.transformer(loaders[table], name=name, table_name=table, write_disposition="merge",
                                    primary_key=rows.KEYS[table], data_from=api[feed])
                    for name, table, feed in feeds]
    return [*api.values(), *transformers]
