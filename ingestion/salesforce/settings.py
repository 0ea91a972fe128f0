"""What the Salesforce source reads: the objects, their standard fields and types, cursor, queryAll, Bulk API 2.0
threshold; and the SOQL text built from an object, its describe and the saved cursor."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

API_VERSION = "v62.0"
BATCH_SIZE = 2000  # Sforce-Query-Options: batchSize=2000, the REST query maximum (and default)
# Above this many matching rows (count_soql: SELECT COUNT() with the same WHERE) the source reads through a Bulk
# API 2.0 query job: REST takes 1 request per 2,000 rows (5 at 10,000, 500 at 1M), a job about 3 (create, poll,
# first results) + 1 per further 50,000-row result set + 1 per extra poll (23 at 1M), so from about 10,000 rows on
# the job needs fewer requests.
BULK_THRESHOLD = 10_000
BULK_MAX_RECORDS = 50_000  # maxRecords per Bulk API 2.0 result set (what simple-salesforce asks for)
BULK_POLL_SECONDS = 2.0
CURSOR_FIELD = "SystemModstamp"  # changes on every write, system ones too (dlt's verified source reads by it)
VENDOR = "Salesforce"

# describe `type` -> warehouse (dlt) column type, as HS_TO_DLT_TYPE in dlt's verified HubSpot source; a type not
# listed loads as text
DESCRIBE_TO_DLT_TYPE = {
    "id": "text", "reference": "text", "string": "text", "textarea": "text", "picklist": "text",
    "multipicklist": "text", "combobox": "text", "email": "text", "phone": "text", "url": "text",
    "encryptedstring": "text", "time": "text",
    "boolean": "bool", "int": "bigint", "long": "bigint", "double": "decimal", "currency": "decimal",
    "percent": "decimal", "date": "date", "datetime": "timestamp",
}
# compound and binary fields: the parts are queried instead (BillingCountry, not BillingAddress); the Bulk API
# refuses them
SKIPPED_DESCRIBE_TYPES = frozenset({"address", "location", "base64", "anyType", "complexvalue"})

_AUDIT = {"Id": "id", "IsDeleted": "boolean", "CreatedDate": "datetime", "CreatedById": "reference",
          "LastModifiedDate": "datetime", "LastModifiedById": "reference", "SystemModstamp": "datetime"}


@dataclass(frozen=True)
class SObjectSpec:
    """One object: API name, raw table, the standard fields asked for (name -> describe type) and how it is read."""

    name: str  # API object name: Opportunity
    table: str  # raw table: opportunities
    fields: dict[str, str]  # asked for when describe lists them; in this order, custom fields after them
    query_all: bool = True  # read through /queryAll: deleted rows come too, IsDeleted true
    cursor: str = CURSOR_FIELD
    custom_fields: bool = True  # every custom field (`*__c`) describe lists is read too

    @property
    def input_name(self) -> str:
        return f"salesforce/{self.table}"


def _fields(names: str, types: dict[str, str], audit: tuple[str, ...] = tuple(_AUDIT)) -> dict[str, str]:
    """Id and the audit fields, then `names` (space separated; 'Name:type', type string when left out)."""
    own = {}
    for item in names.split():
        name, _, kind = item.partition(":")
        own[name] = kind or types.get(name, "string")
    return {**{name: _AUDIT[name] for name in audit}, **own}


_TYPES = {
    "OwnerId": "reference", "AccountId": "reference", "ManagerId": "reference", "UserRoleId": "reference",
    "ProfileId": "reference", "ParentId": "reference", "OpportunityId": "reference", "ContactId": "reference",
    "ConvertedAccountId": "reference", "ConvertedContactId": "reference", "ConvertedOpportunityId": "reference",
    "Email": "email", "Phone": "phone", "Website": "url", "IsActive": "boolean", "IsClosed": "boolean",
    "IsWon": "boolean", "IsConverted": "boolean", "NumberOfEmployees": "int", "SortOrder": "int",
    "AnnualRevenue": "currency", "Amount": "currency", "ExpectedRevenue": "currency", "PrevAmount": "currency",
    "Probability": "percent", "DefaultProbability": "percent", "CloseDate": "date", "PrevCloseDate": "date",
    "ConvertedDate": "date", "LastStageChangeDate": "datetime",
    "StageName": "picklist", "Status": "picklist", "LeadSource": "picklist", "Industry": "picklist",
    "Type": "picklist", "ForecastCategory": "picklist", "ForecastCategoryName": "picklist",
    "CurrencyIsoCode": "picklist", "DefaultCurrencyIsoCode": "picklist", "TimeZoneSidKey": "picklist",
    "Description": "textarea",
}
_NO_EDITS = ("Id", "IsDeleted", "CreatedDate", "CreatedById", "SystemModstamp")  # OpportunityHistory: read-only rows

USERS = SObjectSpec("User", "users", _fields(
    "Username Name FirstName LastName Email Phone IsActive ManagerId UserRoleId ProfileId Title Department "
    "TimeZoneSidKey DefaultCurrencyIsoCode", _TYPES), query_all=False)  # users are deactivated, never deleted
ACCOUNTS = SObjectSpec("Account", "accounts", _fields(
    "Name Type Industry NumberOfEmployees AnnualRevenue Phone Website BillingCity BillingState BillingCountry "
    "ParentId OwnerId CurrencyIsoCode",
    _TYPES))
CONTACTS = SObjectSpec("Contact", "contacts", _fields(
    "FirstName LastName Name Email Phone Title AccountId LeadSource MailingCountry OwnerId CurrencyIsoCode", _TYPES))
LEADS = SObjectSpec("Lead", "leads", _fields(
    "FirstName LastName Name Company Email Phone Title Status LeadSource Industry NumberOfEmployees AnnualRevenue "
    "IsConverted ConvertedDate ConvertedAccountId ConvertedContactId ConvertedOpportunityId OwnerId Country "
    "CurrencyIsoCode", _TYPES))
OPPORTUNITIES = SObjectSpec("Opportunity", "opportunities", _fields(
    "Name AccountId ContactId StageName Amount CurrencyIsoCode Probability ExpectedRevenue CloseDate Type "
    "LeadSource IsClosed IsWon ForecastCategory ForecastCategoryName OwnerId LastStageChangeDate FiscalYear:int "
    "FiscalQuarter:int "
    "Loss_Reason__c:picklist", _TYPES))
OPPORTUNITY_HISTORY = SObjectSpec("OpportunityHistory", "opportunity_history", _fields(
    "OpportunityId StageName Amount ExpectedRevenue CloseDate Probability ForecastCategory PrevAmount "
    "PrevCloseDate CurrencyIsoCode", _TYPES, audit=_NO_EDITS))
OPPORTUNITY_STAGES = SObjectSpec("OpportunityStage", "opportunity_stages", _fields(
    "ApiName MasterLabel Description IsActive IsClosed IsWon SortOrder DefaultProbability ForecastCategory "
    "ForecastCategoryName", _TYPES, audit=tuple(name for name in _AUDIT if name != "IsDeleted")),
    query_all=False, custom_fields=False)  # setup metadata: no IsDeleted, never in the recycle bin

SOBJECTS: tuple[SObjectSpec, ...] = (USERS, ACCOUNTS, CONTACTS, LEADS, OPPORTUNITIES, OPPORTUNITY_HISTORY,
                                     OPPORTUNITY_STAGES)
SOBJECTS_BY_NAME = {spec.name: spec for spec in SOBJECTS}
ENTITY_TABLES = {spec.table for spec in SOBJECTS}  # the raw tables the source's rows go to (ingest's cross-check)


# -------------------------------------------------------------- describe and SOQL
def query_field_types(spec: SObjectSpec, describe_fields: list[dict[str, Any]]) -> dict[str, str]:
    """The fields to read (name -> describe type): the spec's standard fields that describe lists (one the org does
    not have, e.g. CurrencyIsoCode without multi-currency, is left out), then every custom field describe lists,
    typed as describe says. Compound and binary fields are never read."""
    listed = {f["name"]: f for f in describe_fields if f.get("type") not in SKIPPED_DESCRIBE_TYPES}
    chosen = {name: listed[name].get("type") or kind for name, kind in spec.fields.items() if name in listed}
    if spec.custom_fields:
        chosen.update({name: f.get("type") or "string" for name, f in listed.items()
                       if f.get("custom") and name not in chosen})
    return chosen


def soql_datetime(moment: datetime | str) -> str:
    """A SOQL dateTime literal in the documented form YYYY-MM-DDThh:mm:ssZ (unquoted). Fractions of a second are
    dropped, so `>` the literal re-reads rows of that same second (merged on Id) and never skips one."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def count_soql(spec: SObjectSpec, since: datetime | str | None = None) -> str:
    """SELECT COUNT() FROM <object> [WHERE <cursor> > <since>]: how many rows the read would bring."""
    return f"SELECT COUNT() FROM {spec.name}{_where(spec, since)}"


def _where(spec: SObjectSpec, since: datetime | str | None) -> str:
    return "" if since is None else f" WHERE {spec.cursor} > {soql_datetime(since)}"


def soql(spec: SObjectSpec, describe_fields: list[dict[str, Any]], since: datetime | str | None = None) -> str:
    """SELECT <fields> FROM <object> [WHERE <cursor> > <since>] ORDER BY <cursor> ASC."""
    fields = ", ".join(query_field_types(spec, describe_fields))
    return f"SELECT {fields} FROM {spec.name}{_where(spec, since)} ORDER BY {spec.cursor} ASC"
