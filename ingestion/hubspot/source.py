"""The `hubspot` dlt source: CRM objects, owners and deal pipelines read through dlt's rest_api."""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import dlt
from dlt.common.jsonpath import compile_path
from dlt.common.typing import TSecretStrValue
from dlt.extract import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.rest_api import rest_api_resources

from ingestion.common.arrow_pages import arrow_schema, page_table
from ingestion.common.errors import FunnelhouseError
from ingestion.common.incremental import cursor_step, incremental, saved_cursor
from ingestion.common.parsing import FieldError
from ingestion.common.prefetch import prefetch
from ingestion.common.rest import api_session, cursor_paging, resource_defaults
from ingestion.common.reconcile import InputTally, Reconciliation
from ingestion.common.schema import declare_table
from ingestion.common.shaping import quarantined, record_id_number, shape_page, shape_rows
from ingestion.hubspot.batch import BatchReader
from ingestion.hubspot.errors import HUBSPOT, RESPONSE_ACTIONS, check_base_url
from ingestion.hubspot.limits import Limiter
from ingestion.hubspot.paging import SearchPaginator
from ingestion.hubspot.rows import (
    OWNER_COLUMNS,
    PIPELINE_COLUMNS,
    STAGE_COLUMNS,
    association_columns,
    association_page,
    association_table,
    epoch_ms,
    history_columns,
    history_key,
    history_table,
    object_columns,
    object_history,
    object_row,
    owner_row,
    pipeline_rows,
)
from ingestion.hubspot.settings import (
    ARCHIVED_PAGE_SIZE,
    LIST_PAGE_SIZE,
    OBJECT_SPECS,
    OWNERS_PAGE_SIZE,
    RATE_LIMIT,
    RATE_LIMIT_SECONDS,
    SEARCH_PAGE_SIZE,
    SEARCH_RATE_LIMIT,
    SEARCH_RESULT_LIMIT,
    SEARCH_SETTLE_SECONDS,
    SHAPE_BATCH_OBJECTS,
    ObjectSpec,
)

MODIFIED_CURSOR = "modified_ms"  # epoch ms of the modified property, set on raw objects for dlt's incremental
ARCHIVED_CURSOR = "archived_ms"  # epoch ms of archivedAt, the cursor of the archived listing
PIPELINE_OBJECT_TYPES = ("deals",)
# every HubSpot list answer holds its objects under `results`; compiled once (dlt compiles a text selector per page)
RESULTS = compile_path("results")
# HubSpot's list paging: `paging.next.after` in the body, sent back as the `after` query parameter
LIST_PAGING = cursor_paging("paging.next.after", "after")
# said once for every resource: objects under `results`, errors as one line, merged on `id`, list paging
DEFAULTS = resource_defaults(RESULTS, RESPONSE_ACTIONS, LIST_PAGING)


def _iso(ms: Any) -> str:
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(ms)


def _hinted(row: Any, table: str, key: list[str], write_disposition: str = "merge", merge_key: str = "") -> Any:
    hints = dlt.mark.make_hints(table_name=table, primary_key=key, write_disposition=write_disposition,
                                merge_key=merge_key or None)
    return dlt.mark.with_hints(row, hints, create_table_variant=True)


def _as_sent(obj: Any) -> Any:
    """The record as HubSpot sent it: without the cursors the source sets on it."""
    if isinstance(obj, dict):
        return {k: v for k, v in obj.items() if k not in (MODIFIED_CURSOR, ARCHIVED_CURSOR)}
    return obj


# the quarantine row number: the HubSpot id (stable across runs), else minus the position in this run
ROW_NUMBER = record_id_number("id")


def _object_loader(spec: ObjectSpec, tally: InputTally) -> Any:
    """Transformer body: count each object, yield its row, history and association rows, or its quarantine row. A
    batch of pages goes as Arrow tables of the declared columns (arrow_pages.page_table): the history decided
    column-wise (rows.history_table), object by object only when an entry needs a closer look; the associations as
    a flat table of their own (rows.association_page), so dlt's row-by-row normalizer has nothing to unnest."""
    object_schema = arrow_schema(object_columns(spec))
    history_schema = arrow_schema(history_columns(spec)) if spec.history_table else None
    links_schema = arrow_schema(association_columns(spec)) if spec.associations else None

    def to_row(obj: Any) -> dict[str, Any]:
        return object_row(spec, obj)

    def load(items: list[Any]) -> Iterator[Any]:
        # one batch per call: dlt computes table hints per yielded item
        rows, read, bad = shape_rows(items, to_row, tally, spec.table, ROW_NUMBER, _as_sent)
        yield from bad
        history = None
        if history_schema is not None and rows:
            history = history_table(spec, [row["id"] for row in rows], read, history_schema)
            if history is None:  # an entry to look at closely: object by object, as object_rows does
                changes: list[dict[str, Any]] = []
                kept = []
                for row, obj in zip(rows, read):
                    try:
                        changes.extend(object_history(spec, row["id"], obj))
                    except FieldError as error:
                        tally.rows_quarantined += 1
                        yield quarantined(obj, error, tally, spec.table, ROW_NUMBER, _as_sent)
                        continue
                    kept.append(row)
                rows = kept
                history = page_table(changes, history_schema) if changes else None
        tally.rows_loaded += len(rows)
        links = association_page(spec, rows, links_schema) if links_schema is not None and rows else None
        if rows:
            yield page_table(rows, object_schema, ("associations",))
        if history is not None and len(history):
            yield _hinted(history, spec.history_table, history_key(spec))
        if links is not None:
            yield _hinted(links, association_table(spec), [], merge_key=f"{spec.singular}_id")

    return load


def _owner_loader(tally: InputTally) -> Any:
    owner_schema = arrow_schema(OWNER_COLUMNS)

    def load(items: list[Any]) -> Iterator[Any]:
        page, bad = shape_page(items, owner_row, tally, owner_schema, "owners", ROW_NUMBER, lists=("teams",))
        yield from bad
        if len(page):
            yield page

    return load


def _pipeline_items(object_type: str) -> Any:
    def split(pipeline: dict[str, Any]) -> Iterator[Any]:
        try:
            row, stages = pipeline_rows(object_type, pipeline)
        except (FieldError, KeyError, TypeError) as error:
            raise FunnelhouseError(
                f"HubSpot {object_type} pipeline {pipeline.get('id')!r} cannot be read: {error}"
            ) from None
        yield row
        for stage in stages:
            yield _hinted(stage, "pipeline_stages", ["pipeline_id", "stage_id"], "replace")

    return split


def _object_endpoints(
    spec: ObjectSpec,
    page_size: int,
    search_page_size: int,
    search_result_limit: int,
    settle_seconds: float,
    archived_page_size: int,
) -> tuple[list[dict[str, Any]], str, bool, str, bool, str]:
    """rest_api resource configs of one object type: (configs, live resource, whether its objects are still to be
    read in full, archived resource, the same for it, route).

    First run (no cursor saved): GET /crm/v3/objects/{type} lists everything with history and associations.
    Later runs: POST .../search for the ids modified since the saved cursor (ascending), then batch.BatchReader
    reads them in full (batch read with history, v4 batch associations), which search does not return.
    Archived objects: GET ...?archived=true, keeping those archived after the last archivedAt seen; on later runs
    asking only for ids, and BatchReader reads the new ones in full.
    """
    name = spec.object_type
    live = f"{name}_api"
    properties = ",".join(spec.properties)
    read_params: dict[str, Any] = {"properties": properties}
    if spec.history_property:
        read_params["propertiesWithHistory"] = spec.history_property
    if spec.associations:
        read_params["associations"] = ",".join(spec.associations)
    list_params = {**read_params, "limit": page_size}

    with_modified = cursor_step(MODIFIED_CURSOR, lambda obj: (obj.get("properties") or {}).get(spec.modified_property),
                                epoch_ms)
    with_archived = cursor_step(ARCHIVED_CURSOR, lambda obj: obj.get("archivedAt"), epoch_ms)

    # a missing or unreadable cursor lets the object through, to be quarantined with its raw record
    modified = incremental(MODIFIED_CURSOR)
    since = saved_cursor(live, MODIFIED_CURSOR)
    configs: list[dict[str, Any]]
    if since is None:
        route = "listed all (first run)"
        configs = [
            {
                "name": live,
                "selected": False,
                "endpoint": {
                    "path": f"crm/v3/objects/{name}",
                    "params": {**list_params, "archived": "false"},
                    "incremental": modified,
                },
                "processing_steps": [with_modified],
            }
        ]
        read_live = False
    else:
        settled_before = int(time.time() * 1000) - int(settle_seconds * 1000)
        route = f"searched {_iso(since)} <= {spec.modified_property} < {_iso(settled_before)}"
        seen: set[str] = set()

        def first_time(obj: Any) -> bool:
            """A restarted search returns the objects at the restart timestamp again: keep each id once."""
            key = str(obj.get("id")) if isinstance(obj, dict) else repr(obj)
            if key in seen:
                return False
            seen.add(key)
            return True

        configs = [
            {
                "name": live,
                "selected": False,
                "endpoint": {
                    "path": f"crm/v3/objects/{name}/search",
                    "method": "POST",
                    "json": {
                        "filterGroups": [
                            {
                                "filters": [
                                    # GTE: objects sharing the saved timestamp but not loaded yet come too;
                                    # dlt's incremental drops the ones it already loaded (by id)
                                    {
                                        "propertyName": spec.modified_property,
                                        "operator": "GTE",
                                        "value": "{incremental.start_value}",
                                    },
                                    # HubSpot's search index lags behind writes: leave the last moments
                                    # to the next run rather than move the cursor past unindexed changes
                                    {
                                        "propertyName": spec.modified_property,
                                        "operator": "LT",
                                        "value": str(settled_before),
                                    },
                                ]
                            }
                        ],
                        "sorts": [{"propertyName": spec.modified_property, "direction": "ASCENDING"}],
                        "properties": [spec.modified_property],
                        "limit": search_page_size,
                    },
                    "paginator": SearchPaginator(
                        spec.modified_property, search_page_size, search_result_limit
                    ),
                    # initial_value only matters if the route was chosen from another pipeline's state
                    # (source built before its own pipeline): then everything is searched, still correct
                    "incremental": {**modified, "initial_value": 0, "convert": str},
                },
                "processing_steps": [{"filter": first_time}, with_modified],
            },
        ]
        read_live = True
    archived = f"{name}_api_archived"
    configs.append(
        {
            "name": archived,
            "selected": False,
            "endpoint": {
                "path": f"crm/v3/objects/{name}",
                # first run: every archived object is new, listed in full; later runs ask only for ids (and
                # archivedAt, always sent), 100 per page, and the new ones are read in full after
                "params": {**list_params, "archived": "true"} if since is None else
                {"properties": "hs_object_id", "limit": archived_page_size, "archived": "true"},
                "incremental": incremental(ARCHIVED_CURSOR),
            },
            "processing_steps": [with_archived],
        }
    )
    return configs, live, read_live, archived, since is not None, route


def _reader(reader: BatchReader) -> Any:
    def read(items: list[Any]) -> Iterator[Any]:
        yield from reader(items)

    return read


@dlt.source(name="hubspot", section="hubspot", max_table_nesting=1)
def hubspot_source(
    base_url: str = dlt.config.value,
    api_token: TSecretStrValue = dlt.secrets.value,
    reconciliation: Reconciliation | None = None,
    page_size: int = LIST_PAGE_SIZE,
    search_page_size: int = SEARCH_PAGE_SIZE,
    search_result_limit: int = SEARCH_RESULT_LIMIT,
    owners_page_size: int = OWNERS_PAGE_SIZE,
    search_settle_seconds: float = SEARCH_SETTLE_SECONDS,
    archived_page_size: int = ARCHIVED_PAGE_SIZE,
    batch_reads: bool = True,
    rate_limit: int = RATE_LIMIT,
    search_rate_limit: int = SEARCH_RATE_LIMIT,
    rate_limit_from_api: bool = True,
) -> list[DltResource]:
    """HubSpot CRM deals, contacts, companies (incremental, merged on id), owners and deal pipelines.

    Settings: `[sources.hubspot] base_url` in config.toml and `api_token` (private app token) in secrets.toml,
    or the arguments. Build the source after the pipeline exists (`make_pipeline`): it reads the pipeline's
    saved cursors to decide between listing everything and searching for changes. `rate_limit` requests per
    10 s and `search_rate_limit` searches per second are never exceeded (0: no limit); with `rate_limit_from_api`
    the account's own limit from HubSpot's X-HubSpot-RateLimit-* headers replaces `rate_limit` once known.
    `batch_reads` False reads each changed object with its own GET (the route before batch reads).
    """
    check_base_url(base_url)
    recon = reconciliation if reconciliation is not None else Reconciliation("hubspot")
    # an unreachable host fails within seconds; what retries leave is said in one line
    session = api_session(HUBSPOT, Limiter(rate_limit, RATE_LIMIT_SECONDS, search_rate_limit,
                                           follow_api=rate_limit_from_api))
    client = {"base_url": base_url, "auth": {"type": "bearer", "token": api_token}, "session": session}
    reader_client = RESTClient(base_url, auth=BearerTokenAuth(api_token), session=session)
    readers: list[tuple[str, str, BatchReader]] = []  # (resource name, parent resource, reader)

    configs: list[dict[str, Any]] = []
    loaders: list[tuple[str, str, str, Any]] = []  # (resource name, table, feed resource, transformer body)
    for spec in OBJECT_SPECS:
        declare_table(spec.table, object_columns(spec), primary_key=["id"])
        if spec.history_table:
            declare_table(spec.history_table, history_columns(spec), primary_key=history_key(spec))
        if spec.associations:
            declare_table(association_table(spec), association_columns(spec))
        tally = recon.tally(spec.input_name, "api")
        object_configs, live, read_live, archived, read_archived, route = _object_endpoints(
            spec, page_size, search_page_size, search_result_limit, search_settle_seconds, archived_page_size
        )
        tally.detail = route
        configs.extend(object_configs)
        feed = live
        if read_live:
            feed = f"{spec.object_type}_api_details"
            readers.append((feed, live, BatchReader(spec, reader_client, False, batch_reads)))
        if read_archived:
            readers.append((f"{archived}_read", archived, BatchReader(spec, reader_client, True, batch_reads)))
            archived = f"{archived}_read"
        load = _object_loader(spec, tally)
        loaders.append((spec.table, spec.table, feed, load))
        loaders.append((f"{spec.table}_archived", spec.table, archived, load))

    declare_table("owners", OWNER_COLUMNS, primary_key=["id"])
    owners_tally = recon.tally("hubspot/owners", "api")
    owners_tally.detail = "listed all; loaded those updated since the last run"
    for suffix, archived_flag in (("", "false"), ("_archived", "true")):
        configs.append(
            {
                "name": f"owners_api{suffix}",
                "selected": False,
                "endpoint": {
                    "path": "crm/v3/owners",
                    "params": {"limit": owners_page_size, "archived": archived_flag},
                    # the owners API has no "modified since" filter: list all, keep those updated since last run
                    "incremental": incremental("updatedAt"),
                },
            }
        )
        loaders.append((f"owners{suffix}", "owners", f"owners_api{suffix}", _owner_loader(owners_tally)))

    declare_table("pipelines", PIPELINE_COLUMNS, primary_key=["id"])
    declare_table("pipeline_stages", STAGE_COLUMNS, primary_key=["pipeline_id", "stage_id"])
    for object_type in PIPELINE_OBJECT_TYPES:
        configs.append(
            {
                "name": "pipelines" if object_type == "deals" else f"pipelines_{object_type}",
                "table_name": "pipelines",
                "write_disposition": "replace",
                "endpoint": {
                    "path": f"crm/v3/pipelines/{object_type}",
                    "paginator": "single_page",
                },
                "processing_steps": [{"yield_map": _pipeline_items(object_type)}],
            }
        )

    # each listing fetches a few pages ahead in a thread of its own while dlt shapes the page before (prefetch.py);
    # the pages a BatchReader reads stay one by one: its requests depend on how many ids it is handed
    read_pages = {parent for _, parent, _ in readers}
    api = {r.name: prefetch(r, coalesce=r.name not in read_pages,
                            min_items=0 if r.name in read_pages else SHAPE_BATCH_OBJECTS)
           for r in rest_api_resources({"client": client, "resource_defaults": DEFAULTS, "resources": configs})}
    for name, parent, reader in readers:
        api[name] = dlt.transformer(_reader(reader), name=name, selected=False, data_from=api[parent])
    transformers = [
        dlt.transformer(
            load,
            name=name,
            table_name=table,
            primary_key="id",
            write_disposition="merge",
            data_from=api[feed],
        )
        for name, table, feed, load in loaders
    ]
    return [*api.values(), *transformers]
