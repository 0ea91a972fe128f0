"""What the Pipedrive source reads: entities (path, API version, paging, incremental cursor, sweeps, children), page
sizes and the published rate limits, as data."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_BASE_URL = "https://api.pipedrive.com"  # or https://<companydomain>.pipedrive.com; OAuth gives api_domain
VENDOR = "Pipedrive"
PAGE_LIMIT = 500  # `limit` on cursor (v2, changelog) and start/limit (v1) pages: at most 500
INITIAL_UPDATED_SINCE = "1970-01-01T00:00:00Z"  # a first run asks for everything
DELETED_DEALS_DAYS = 30  # status=deleted lists deals deleted up to 30 days ago: run at least that often

# Rate limits (pipedrive.readme.io/docs/core-api-concepts-rate-limiting): a burst limit per token over a rolling
# 2-second window by plan, and a company-wide daily token budget (30,000 base tokens x plan multiplier x seats) where
# each request costs tokens (x-token-cost in Pipedrive's OpenAPI spec). 429 carries Retry-After in seconds (the
# daily budget's can be over an hour: cap the wait).
BURST_WINDOW_SECONDS = 2
BURST_LIMIT_API_TOKEN = {"essential": 20, "advanced": 40, "professional": 80, "power": 100, "enterprise": 120}
BURST_LIMIT_OAUTH = {"essential": 80, "advanced": 160, "professional": 320, "power": 400, "enterprise": 480}
DAILY_BASE_TOKENS = 30_000
RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-daily-requests-left")
RETRY_AFTER_CAP_SECONDS = 60  # a longer Retry-After (daily budget spent) ends the run with a clear error instead

TOKEN_HEADER = "x-api-token"  # the API token header Pipedrive's own clients send; OAuth: Authorization: Bearer


@dataclass(frozen=True)
class Child:
    """An endpoint read once per changed parent row: `path` holds {id}; `keep` filters its items (field, value)."""

    name: str
    path: str
    table: str
    keep: tuple[str, str] | None = None


@dataclass(frozen=True)
class EntitySpec:
    """One listed entity: raw table, path, paging style, the incremental cursor and its query parameter, extra
    listings (sweeps) read with the same paging, and children."""

    table: str
    path: str
    paging: str = "cursor"  # cursor: cursor/limit + additional_data.next_cursor; offset: start/limit (v1); none
    cursor: str | None = None  # the row field the saved state follows: update_time
    since_param: str | None = None  # the query parameter it is sent as: updated_since (inclusive)
    params: dict[str, Any] = field(default_factory=dict)
    sweeps: tuple[dict[str, Any], ...] = ()  # extra listings: deals with status=deleted (the plain list omits them)
    children: tuple[Child, ...] = ()

    @property
    def input_name(self) -> str:
        return f"pipedrive/{self.table}"


DEAL_CHANGELOG = Child("deal_changelog", "api/v1/deals/{id}/changelog", "deal_stage_changes",
                       keep=("field_key", "stage_id"))
DEALS = EntitySpec("deals", "api/v2/deals", cursor="update_time", since_param="updated_since",
                   params={"sort_by": "update_time", "sort_direction": "asc"},
                   sweeps=({"status": "deleted"},), children=(DEAL_CHANGELOG,))
PIPELINES = EntitySpec("pipelines", "api/v2/pipelines")
STAGES = EntitySpec("stages", "api/v2/stages")
PERSONS = EntitySpec("persons", "api/v2/persons", cursor="update_time", since_param="updated_since")
ORGANIZATIONS = EntitySpec("organizations", "api/v2/organizations", cursor="update_time",
                           since_param="updated_since")
USERS = EntitySpec("users", "api/v1/users", paging="none")  # v1 only; one response holds every user
DEAL_FIELDS = EntitySpec("deal_fields", "api/v1/dealFields", paging="offset")  # names the deals' custom fields

ENTITIES: tuple[EntitySpec, ...] = (DEALS, PIPELINES, STAGES, PERSONS, ORGANIZATIONS, USERS)
RAW_TABLES = ("deals", "deal_stage_changes", "pipelines", "stages", "persons", "organizations", "users")

# dealFields `field_type` -> warehouse column type of a custom field's values (anything else: its text, lists and
# objects as JSON); a monetary field also gets `<column>_currency`
CUSTOM_FIELD_TYPES = {"double": "decimal", "monetary": "decimal", "int": "bigint", "date": "date"}
