"""What the HubSpot source reads per CRM object type: properties, types, history, associations, cursors."""
from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_BASE_URL = "https://api.hubapi.com"

LIST_PAGE_SIZE = 50  # GET /crm/v3/objects/{type}: at most 100, at most 50 when propertiesWithHistory is asked
SEARCH_PAGE_SIZE = 200  # POST /crm/v3/objects/{type}/search: at most 200 per page
SEARCH_RESULT_LIMIT = 10_000  # a search query pages through at most 10,000 results, then HubSpot answers 400
SEARCH_SETTLE_SECONDS = 60  # younger changes wait for the next run: the search index lags behind writes
OWNERS_PAGE_SIZE = 100
ARCHIVED_PAGE_SIZE = 100  # the archived sweep asks only for ids: 100 per page (50 when history is asked)
BATCH_READ_SIZE = 100  # POST /crm/v3/objects/{type}/batch/read: at most 100 inputs
SHAPE_BATCH_OBJECTS = 2000  # a listing's pages are shaped (and handed to dlt) this many objects at a time
ASSOCIATIONS_BATCH_SIZE = 1000  # POST /crm/v4/associations/{from}/{to}/batch/read: at most 1,000 inputs
# HubSpot's published limits for a private app (Professional/Enterprise): 190 requests per 10 s, 5 searches per s.
RATE_LIMIT = 190
RATE_LIMIT_SECONDS = 10
SEARCH_RATE_LIMIT = 5

# HubSpot sends every property value as a string; these are typed on the way in (anything else stays text).
DECIMAL_PROPERTIES = frozenset({"amount", "annualrevenue", "hs_deal_stage_probability", "hs_forecast_amount"})
INTEGER_PROPERTIES = frozenset({"numberofemployees"})
TIMESTAMP_PROPERTIES = frozenset({"closedate", "createdate", "hs_lastmodifieddate", "lastmodifieddate"})
BOOLEAN_PROPERTIES = frozenset({"hs_is_closed", "hs_is_closed_won"})

# Columns the source sets itself; a HubSpot property of the same name is loaded as `property_<name>`.
RESERVED_COLUMNS = frozenset({"id", "created_at", "updated_at", "archived", "archived_at", "associations"})
DROPPED_PROPERTIES = frozenset({"hs_object_id"})  # always equal to `id`


@dataclass(frozen=True)
class ObjectSpec:
    """One CRM object type: API name and table, properties asked for, cursor, history and associations."""

    object_type: str  # API path segment and table name: deals, contacts, companies
    singular: str  # deal, contact, company: names the id column of child rows (deal_id, ...)
    modified_property: str  # the incremental cursor: hs_lastmodifieddate or lastmodifieddate
    properties: tuple[str, ...]
    history_property: str | None = None  # loaded from propertiesWithHistory into history_table
    history_table: str | None = None
    history_value_column: str = "stage"
    associations: tuple[str, ...] = field(default_factory=tuple)

    @property
    def table(self) -> str:
        return self.object_type

    @property
    def input_name(self) -> str:
        return f"hubspot/{self.object_type}"


DEALS = ObjectSpec(
    object_type="deals",
    singular="deal",
    modified_property="hs_lastmodifieddate",
    properties=(
        "dealname", "amount", "deal_currency_code", "pipeline", "dealstage", "closedate", "createdate",
        "hs_lastmodifieddate", "hubspot_owner_id", "dealtype", "hs_is_closed", "hs_is_closed_won",
        "hs_deal_stage_probability", "closed_lost_reason", "hs_analytics_source",
    ),
    history_property="dealstage",
    history_table="deal_stage_history",
    history_value_column="stage",
    associations=("companies", "contacts"),
)
CONTACTS = ObjectSpec(
    object_type="contacts",
    singular="contact",
    modified_property="lastmodifieddate",
    properties=(
        "email", "firstname", "lastname", "jobtitle", "phone", "company", "lifecyclestage", "hs_lead_status",
        "hubspot_owner_id", "createdate", "lastmodifieddate", "hs_analytics_source",
    ),
    history_property="lifecyclestage",
    history_table="contact_lifecycle_history",
    history_value_column="lifecycle_stage",
    associations=("companies",),
)
COMPANIES = ObjectSpec(
    object_type="companies",
    singular="company",
    modified_property="hs_lastmodifieddate",
    properties=(
        "name", "domain", "industry", "city", "country", "numberofemployees", "annualrevenue",
        "lifecyclestage", "hubspot_owner_id", "createdate", "hs_lastmodifieddate",
    ),
)
OBJECT_SPECS: tuple[ObjectSpec, ...] = (DEALS, CONTACTS, COMPANIES)

SINGULAR = {spec.object_type: spec.singular for spec in OBJECT_SPECS}

ENTITY_TABLES = {"deals", "contacts", "companies", "owners"}
