"""The `salesforce` dlt source: each object described once a run, counted on a first run, then read by REST
query/queryAll through dlt's rest_api (nextRecordsUrl paging) or, above the bulk threshold, by a Bulk API 2.0 job;
later runs read what changed since the saved SystemModstamp, merged on Id."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import dlt
import pyarrow as pa
from dlt.common.typing import TSecretStrValue
from dlt.extract import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.rest_api import rest_api_resources

from ingestion.common.auth import TokenEndpointAuth
from ingestion.common.incremental import cursor_step, incremental, saved_cursor
from ingestion.common.limits import Limiter
from ingestion.common.reconcile import InputTally, Reconciliation
from ingestion.common.rest import api_session, next_url_paging, resource_defaults
from ingestion.common.schema import declare_table
from ingestion.common.shaping import record_id_number, shape_page
from ingestion.common.vendor import SALESFORCE_RATE_HEADERS
from ingestion.salesforce.bulk import BulkQuery
from ingestion.salesforce.errors import RESPONSE_ACTIONS, SALESFORCE, SECRETS, check_base_url, refuse_errors
from ingestion.salesforce.rows import row_reader, sobject_columns, sobject_schema
from ingestion.salesforce.settings import (
    API_VERSION, BATCH_SIZE, BULK_MAX_RECORDS, BULK_POLL_SECONDS, BULK_THRESHOLD, SOBJECTS, SObjectSpec, count_soql,
    query_field_types, soql,
)

CURSOR = "modstamp_ms"  # epoch ms of SystemModstamp: REST JSON (+0000) and Bulk CSV (Z) datetimes compare alike
ROW_NUMBER = record_id_number("Id")  # the quarantine row number: the record's Id, stable across runs
# query answers hold their rows under `records`, the next batch's URL under `nextRecordsUrl`; merged on Id
DEFAULTS = resource_defaults("records", RESPONSE_ACTIONS, next_url_paging("nextRecordsUrl"), primary_key="Id")
WITH_CURSOR = cursor_step(CURSOR, lambda record: record.get("SystemModstamp"))


@dataclass
class Plan:
    """How one object is read in this run: its fields (describe), query, route and what the detail says."""

    route: str  # rest, bulk or missing (describe answered 404: the org has no such object)
    soql: str = ""
    to_row: Callable[[Any], dict[str, Any]] | None = None
    schema: pa.Schema | None = None
    detail: str = ""


class Planner:
    """Describes each object once a run and chooses its route: on a first run (no saved cursor) SELECT COUNT()
    decides REST or Bulk API 2.0; later runs ask REST for the rows changed since the cursor."""

    def __init__(self, client: RESTClient, limiter: Limiter, bulk_threshold: int) -> None:
        self.client, self.limiter, self.bulk_threshold = client, limiter, bulk_threshold
        self.plans: dict[str, Plan] = {}

    def __call__(self, spec: SObjectSpec) -> Plan:
        if spec.name not in self.plans:
            self.plans[spec.name] = self._plan(spec)
        return self.plans[spec.name]

    def _plan(self, spec: SObjectSpec) -> Plan:
        described = self.client.get(f"sobjects/{spec.name}/describe")
        if described.status_code == 404:
            return Plan("missing", detail=f"not in this org (describe {spec.name}: 404); nothing read")
        fields = refuse_errors(described).json()["fields"]
        field_types = query_field_types(spec, fields)
        cursors = [saved_cursor(f"{spec.table}_{feed}", CURSOR) for feed in ("api", "bulk")]
        since = max((c for c in cursors if c is not None), default=None)
        moment = None if since is None else datetime.fromtimestamp(since / 1000, tz=timezone.utc)
        resource = "queryAll" if spec.query_all else "query"
        if moment is not None:
            route, detail = "rest", f"changed since {moment.isoformat()}: REST {resource}"
        else:
            counted = refuse_errors(self.client.get(resource, params={"q": count_soql(spec)})).json()["totalSize"]
            route = "bulk" if counted > self.bulk_threshold else "rest"
            detail = (f"first run: {counted:,} rows counted, "
                      + (f"> {self.bulk_threshold:,}: Bulk API 2.0 {resource} job" if route == "bulk"
                         else f"<= {self.bulk_threshold:,}: REST {resource}"))
        return Plan(route, soql(spec, fields, moment), row_reader(spec, field_types),
                    sobject_schema(spec, field_types), detail)

    def report(self, tallies: dict[str, InputTally]) -> None:
        """Each planned object's route and the org's API usage so far (Sforce-Limit-Info) in its tally's detail;
        called after every plan and page, so the run's last call leaves the usage after its last request."""
        usage = self.limiter.usage
        said = f"; api-usage {usage[0]}/{usage[1]}" if usage else ""
        for name, plan in self.plans.items():
            tallies[name].detail = plan.detail + said


def _as_sent(record: Any) -> Any:
    return {k: v for k, v in record.items() if k != CURSOR} if isinstance(record, dict) else record


def _plan_feed(spec: SObjectSpec, planner: Planner, route: str, tallies: dict[str, InputTally]) -> DltResource:
    """One item {"q": soql} when the object's route this run is `route`, else nothing."""

    def plan() -> Any:
        chosen = planner(spec)
        planner.report(tallies)
        if chosen.route == route:
            yield [{"q": chosen.soql}]  # rest_api children take a page of parent items

    return dlt.resource(plan, name=f"{spec.table}_{route}_plan", selected=False)


def _bulk_feed(spec: SObjectSpec, bulk: BulkQuery, plan: DltResource) -> DltResource:
    def read(items: list[dict[str, Any]]) -> Any:
        for item in items:
            for page in bulk.pages(item["q"], spec.query_all):
                yield [WITH_CURSOR["map"](record) for record in page]

    feed = dlt.transformer(read, name=f"{spec.table}_bulk", selected=False, data_from=plan, primary_key="Id")
    feed.apply_hints(incremental=dlt.sources.incremental(CURSOR, on_cursor_value_missing="include"))
    return feed


def _loader(spec: SObjectSpec, tallies: dict[str, InputTally], planner: Planner) -> Any:
    def load(items: list[Any]) -> Any:
        plan = planner(spec)
        page, bad = shape_page(items, plan.to_row, tallies[spec.name], plan.schema, spec.table, ROW_NUMBER,
                               _as_sent)
        planner.report(tallies)
        yield from bad
        if len(page):
            yield page

    return load


@dlt.source(name="salesforce", section="salesforce", max_table_nesting=0)
def salesforce_source(
    login_url: str = dlt.config.value,
    client_id: TSecretStrValue = dlt.secrets.value,
    client_secret: TSecretStrValue = dlt.secrets.value,
    refresh_token: Optional[TSecretStrValue] = None,
    instance_url: Optional[str] = None,
    reconciliation: Reconciliation | None = None,
    batch_size: int = BATCH_SIZE,
    bulk_threshold: int = BULK_THRESHOLD,
    bulk_max_records: int = BULK_MAX_RECORDS,
    bulk_poll_seconds: float = BULK_POLL_SECONDS,
) -> list[DltResource]:
    """Salesforce users, accounts, contacts, leads, opportunities, their stage history and the stages.

    Settings under [sources.salesforce]: `login_url` (the org's My Domain URL) in config.toml, the connected app's
    `client_id` and `client_secret` (client-credentials grant), or with `refresh_token` the refresh-token grant, in
    secrets.toml. The token endpoint names the instance; given `instance_url` the source is built without a request
    (the token is then asked for on the first read). Build it after its pipeline exists: the saved cursors decide
    between a first load and reading the changes. `batch_size` rows per REST batch (Sforce-Query-Options, 200 to
    2,000); a first load above `bulk_threshold` rows goes through a Bulk API 2.0 query job.
    """
    check_base_url(login_url)
    recon = reconciliation if reconciliation is not None else Reconciliation("salesforce")
    limiter = Limiter(0, 1, SALESFORCE_RATE_HEADERS)  # no client-side cap: keeps Sforce-Limit-Info's usage
    session = api_session(SALESFORCE, limiter)
    auth = TokenEndpointAuth(access_token_url=f"{login_url.rstrip('/')}/services/oauth2/token", client_id=client_id,
                             client_secret=client_secret, refresh_token=refresh_token,
                             grant_type="refresh_token" if refresh_token else "client_credentials",
                             vendor="Salesforce", check=SECRETS, session=session)
    instance = (instance_url or auth.login() or login_url).rstrip("/")
    base_url = f"{instance}/services/data/{API_VERSION}/"
    client = RESTClient(base_url, auth=auth, session=session)
    planner = Planner(client, limiter, bulk_threshold)
    bulk = BulkQuery(client, bulk_max_records, bulk_poll_seconds, batch_size)

    tallies = {spec.name: recon.tally(spec.input_name, "api") for spec in SOBJECTS}
    plans, configs, feeds = [], [], []
    for spec in SOBJECTS:
        declare_table(spec.table, sobject_columns(spec), primary_key=["id"])
        rest_plan, bulk_plan = (_plan_feed(spec, planner, route, tallies) for route in ("rest", "bulk"))
        plans += [rest_plan, bulk_plan]
        configs.append({
            "name": f"{spec.table}_api", "selected": False,
            "endpoint": {"path": "queryAll" if spec.query_all else "query",
                         "params": {"q": f"{{resources.{rest_plan.name}.q}}"},
                         "headers": {"Sforce-Query-Options": f"batchSize={batch_size}"},
                         "incremental": incremental(CURSOR)},
            "processing_steps": [WITH_CURSOR]})
        feeds.append((spec, f"{spec.table}_api", _bulk_feed(spec, bulk, bulk_plan)))
    api = {r.name: r for r in rest_api_resources({"client": {"base_url": base_url, "auth": auth, "session": session},
                                                  "resource_defaults": DEFAULTS, "resources": [*plans, *configs]})}
    loaders = []
    for spec, rest_feed, bulk_feed in feeds:
        load = _loader(spec, tallies, planner)
        hints = {"table_name": spec.table, "primary_key": "id", "write_disposition": "merge"}
        loaders += [dlt.transformer(load, name=spec.table, data_from=api[rest_feed], **hints),
                    dlt.transformer(load, name=f"{spec.table}_from_bulk", data_from=bulk_feed, **hints)]
    return [*api.values(), *loaders]
