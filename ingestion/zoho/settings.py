"""What the Zoho CRM (API v8) source reads, as data: the modules and their fields (with their warehouse types and
lookups), the Deals' Stage_History related list, the deleted-records sweep, the settings endpoints, paging and auth
facts of the docs.

Followed: Zoho's OpenAPI files for v8 (github.com/zoho/crm-oas, v8.0/record.json: Get Records `fields`, `page`,
`per_page`, `page_token`, `If-Modified-Since`, `converted`; `info.more_records` / `next_page_token`; Get Deleted
Records `type`; v8.0/pipeline.json: GET /crm/v8/settings/pipeline?layout_id=, `maps` with `sequence_number` and
`forecast_type`; v8.0/users.json: GET /crm/v8/users?type=AllUsers) and zoho.com/crm/developer/docs/api/v8
(Get Records: at most 200 per page; past the 2,000th record only `page_token` pages; OAuth: the refresh-token grant at
the data centre's accounts server, `Authorization: Zoho-oauthtoken <access token>`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

API_VERSION = "v8"
VENDOR = "Zoho CRM"
PER_PAGE = 200  # Get Records, Get Related Records, Get Deleted Records, users: at most 200 per page
PAGE_RECORDS_LIMIT = 2000  # page/per_page reach the first 2,000 records; past them only page_token pages
DEFAULT_ACCOUNTS_URL = "https://accounts.zoho.com"
TOKEN_PATH = "/oauth/v2/token"  # at the accounts server of the data centre that holds the org
AUTH_SCHEME = "Zoho-oauthtoken"  # Authorization: Zoho-oauthtoken <access token> (not Bearer)
# the accounts server of each data centre -> its API domain (the token answer names the API domain too)
DATA_CENTRES = {
    "https://accounts.zoho.com": "https://www.zohoapis.com",
    "https://accounts.zoho.eu": "https://www.zohoapis.eu",
    "https://accounts.zoho.in": "https://www.zohoapis.in",
    "https://accounts.zoho.com.au": "https://www.zohoapis.com.au",
    "https://accounts.zoho.com.cn": "https://www.zohoapis.com.cn",
    "https://accounts.zoho.jp": "https://www.zohoapis.jp",
    "https://accounts.zohocloud.ca": "https://www.zohoapis.ca",
    "https://accounts.zoho.sa": "https://www.zohoapis.sa",
}
CURSOR_FIELD = "Modified_Time"  # every module's record; sent back as If-Modified-Since (ISO 8601 with offset)
DELETED_TYPE = "all"  # Get Deleted Records: all | recycle | permanent
# Zoho's API limits (zoho.com/crm/developer/docs/api/api-limits.html): credits per rolling 24 hours by edition
# (Enterprise / Zoho One: 15,000 + 1,000 per user license, at most 1,000,000; Ultimate: 15,000 + 2,000 per user,
# no maximum), 1 credit per Get Records / related / deleted call of up to 200 records, and a concurrency limit per
# org; a spent limit answers 429 TOO_MANY_REQUESTS.
RETRY_AFTER_CAP_SECONDS = 300


@dataclass(frozen=True)
class Field:
    """A field of a module: its API name, its warehouse kind (text, decimal, bigint, bool, date, timestamp), and
    `lookup` for a {name, id} object loaded as <column>_id and <column>_name."""

    name: str
    kind: str = "text"
    lookup: bool = False
    asked: bool = True  # named in `fields=`; $-keys (`$converted`) come with the record unasked


def fields(spec: str) -> tuple[Field, ...]:
    """'Name Amount:decimal Owner:lookup' -> Fields (text when no kind is given)."""
    found = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        found.append(Field(name, "text" if kind in ("", "lookup") else kind, lookup=kind == "lookup",
                           asked=not name.startswith("$")))
    return tuple(found)


@dataclass(frozen=True)
class RelatedList:
    """A related list read once per parent record changed in this run: /crm/v8/<module>/{id}/<api_name>."""

    api_name: str
    table: str
    fields: tuple[Field, ...]
    parent_column: str  # the column holding the parent record's id


@dataclass(frozen=True)
class ModuleSpec:
    """One module read by Get Records: API name, raw table, fields, extra query parameters, related lists."""

    module: str
    table: str
    fields: tuple[Field, ...]
    params: dict[str, Any] | None = None
    related: tuple[RelatedList, ...] = ()

    @property
    def path(self) -> str:
        return f"crm/{API_VERSION}/{self.module}"

    @property
    def fields_param(self) -> str:
        return ",".join(field.name for field in self.fields if field.asked and field.name != "id")


_AUDIT = "id Owner:lookup Created_Time:timestamp Modified_Time:timestamp"
LEADS = ModuleSpec("Leads", "leads", fields(
    f"{_AUDIT} First_Name Last_Name Full_Name Company Email Phone Mobile Designation Lead_Status Lead_Source "
    "Industry No_of_Employees:bigint Annual_Revenue:decimal City Country $converted:bool"),
    params={"converted": "both"})  # the default (false) leaves converted leads out
ACCOUNTS = ModuleSpec("Accounts", "accounts", fields(
    f"{_AUDIT} Account_Name Account_Type Industry Employees:bigint Annual_Revenue:decimal Website Phone "
    "Billing_City Billing_Country Parent_Account:lookup"))
CONTACTS = ModuleSpec("Contacts", "contacts", fields(
    f"{_AUDIT} First_Name Last_Name Full_Name Email Phone Mobile Title Lead_Source Mailing_Country "
    "Account_Name:lookup"))
STAGE_HISTORY = RelatedList("Stage_History", "deal_stage_history", fields(
    "id Stage Amount:decimal Probability:decimal Expected_Revenue:decimal Closing_Date:date Duration_Days:bigint "
    "Modified_Time:timestamp Modified_By:lookup Moved_To__s"), parent_column="deal_id")
DEALS = ModuleSpec("Deals", "deals", fields(
    f"{_AUDIT} Deal_Name Stage Amount:decimal Currency Exchange_Rate:decimal Closing_Date:date "
    "Probability:decimal Expected_Revenue:decimal Pipeline:lookup Type Lead_Source Reason_For_Loss__s "
    "Account_Name:lookup Contact_Name:lookup"), related=(STAGE_HISTORY,))
MODULES: tuple[ModuleSpec, ...] = (LEADS, ACCOUNTS, CONTACTS, DEALS)
DELETED_MODULES = tuple(spec.module for spec in MODULES)  # /crm/v8/<module>/deleted?type=all

USERS_PATH = f"crm/{API_VERSION}/users"  # ?type=AllUsers: active and deactivated; {"users": [...], "info": {...}}
USER_FIELDS = fields("id full_name first_name last_name email status role:lookup profile:lookup time_zone "
                     "created_time:timestamp Modified_Time:timestamp")
LAYOUTS_PATH = f"crm/{API_VERSION}/settings/layouts"  # ?module=Deals: the layout ids the pipelines belong to
PIPELINES_PATH = f"crm/{API_VERSION}/settings/pipeline"  # ?layout_id=: {"pipeline": [{..., "maps": [stages]}]}
FIELDS_PATH = f"crm/{API_VERSION}/settings/fields"  # ?module=Deals: the Stage picklist's probabilities
DELETED_FIELDS = fields("id module type display_name deleted_time:timestamp deleted_by:lookup created_by:lookup")

RAW_TABLES = ("users", "leads", "accounts", "contacts", "deals", "deal_stage_history", "stages", "deleted_records")
