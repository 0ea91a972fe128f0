"""Small Salesforce and Pipedrive records written as the vendors' APIs return them, shaped by ingestion's row
functions and loaded by a real dlt pipeline into raw_salesforce / raw_pipedrive of a DuckDB file (with the
quarantine and reconciliation tables every source has): the raw input of tests/test_crm_staging.py until the two
sources' source.py exist.

Salesforce (a US org in USD): four opportunities whose OpportunityHistory holds forward moves, a skip, a backward
move, a reopen after Closed Lost, Amount- and CloseDate-only rows, one deleted (IsDeleted), one with an unreadable
Amount (quarantined); leads converted and not; Loss_Reason__c. Pipedrive (a company in EUR): deals open, won, lost
and deleted, changelog stage moves with a skip and a backward move among status and value changes, one deal with
an unreadable value (quarantined); persons with several emails and phones.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import dlt
import pyarrow as pa

from ingestion.common.reconcile import InputTally, Reconciliation
from ingestion.common.schema import declare_table
from ingestion.common.shaping import record_id_number, shape_page
from ingestion.pipedrive import rows as pipedrive_rows
from ingestion.pipeline import LoadSummary, make_pipeline, run_source
from ingestion.salesforce import rows as salesforce_rows
from ingestion.salesforce.settings import SOBJECTS_BY_NAME, SObjectSpec


# ---------------------------------------------------------------- Salesforce records (SOQL query result records)
def _sf_id(prefix: str, number: int) -> str:
    """An 18-character Id with the object's key prefix: 006 + 000000000001 + AAA."""
    return f"{prefix}{number:012d}AAA"


def _sf(object_name: str, prefix: str, number: int, created: str, *, deleted: bool = False,
        modified: str | None = None, **fields: Any) -> dict[str, Any]:
    record_id = _sf_id(prefix, number)
    moment = modified or created
    record = {"attributes": {"type": object_name, "url": f"/services/data/v62.0/sobjects/{object_name}/{record_id}"},
              "Id": record_id, "IsDeleted": deleted, "CreatedDate": created, "SystemModstamp": moment}
    if object_name != "OpportunityHistory":
        record["LastModifiedDate"] = moment
    if object_name == "OpportunityStage":
        del record["IsDeleted"]
    return {**record, **fields}


USER_1, USER_2 = _sf_id("005", 1), _sf_id("005", 2)
ACCOUNT_1, ACCOUNT_2 = _sf_id("001", 1), _sf_id("001", 2)
CONTACT_1, CONTACT_2 = _sf_id("003", 1), _sf_id("003", 2)
OPP_WON, OPP_LOST, OPP_REOPENED, OPP_DELETED, OPP_BAD = (_sf_id("006", n) for n in range(1, 6))
ROLE_VP = "00E000000000001AAA"
T0 = "2026-01-05T09:00:00.000+0000"

SALESFORCE_USERS = [
    _sf("User", "005", 1, T0, Username="sarah.connor@acme-us.example", Name="Sarah Connor", FirstName="Sarah",
        LastName="Connor", Email="Sarah.Connor@acme-us.example", Phone="+1 (415) 555-0100", IsActive=True,
        ManagerId=None, UserRoleId=ROLE_VP, Title="VP Sales", Department="Sales",
        TimeZoneSidKey="America/Los_Angeles", DefaultCurrencyIsoCode="USD"),
    _sf("User", "005", 2, T0, Username="mike.ross@acme-us.example", Name="Mike Ross", FirstName="Mike",
        LastName="Ross", Email="mike.ross@acme-us.example", Phone=None, IsActive=True, ManagerId=USER_1,
        UserRoleId="00E000000000002AAA", Title="Account Executive", Department="Sales",
        TimeZoneSidKey="America/New_York", DefaultCurrencyIsoCode="USD"),
]
SALESFORCE_ACCOUNTS = [
    _sf("Account", "001", 1, T0, Name="Globex Corporation", Type="Customer - Direct", Industry="Technology",
        NumberOfEmployees=1200, AnnualRevenue=350000000, Phone="(212) 555-0100", Website="www.globex.example",
        BillingCity="New York", BillingState="NY", BillingCountry="United States", OwnerId=USER_2,
        CurrencyIsoCode="USD"),
    _sf("Account", "001", 2, T0, Name="Initech, LLC", Type="Prospect", Industry="Banking", NumberOfEmployees=85,
        BillingCity="Austin", BillingState="TX", BillingCountry="United States", OwnerId=USER_2,
        CurrencyIsoCode="USD"),
]
SALESFORCE_CONTACTS = [
    _sf("Contact", "003", 1, T0, FirstName="Jane", LastName="Doe", Name="Jane Doe",
        Email=" Jane.Doe@Globex.example ", Phone="+1 (415) 555-0134", Title="CTO", AccountId=ACCOUNT_1,
        LeadSource="Web", MailingCountry="United States", OwnerId=USER_2, CurrencyIsoCode="USD"),
    # a national number without the country code: phone_e164 cannot place it, so phone is null (phone_digits keeps it)
    _sf("Contact", "003", 2, T0, FirstName="Peter", LastName="Gibbons", Name="Peter Gibbons",
        Email="peter.gibbons@initech.example", Phone="(512) 555-0199", Title="Engineer", AccountId=ACCOUNT_2,
        LeadSource="Partner Referral", MailingCountry="United States", OwnerId=USER_2, CurrencyIsoCode="USD"),
]
SALESFORCE_LEADS = [
    _sf("Lead", "00Q", 1, "2026-01-06T10:00:00.000+0000", modified="2026-01-12T15:30:00.000+0000",
        FirstName="Jane", LastName="Doe", Name="Jane Doe", Company="Globex Corporation",
        Email="jane.doe@globex.example", Phone="+1 415 555 0134", Title="CTO", Status="Closed - Converted",
        LeadSource="Web", Industry="Technology", NumberOfEmployees=1200, IsConverted=True,
        ConvertedDate="2026-01-12", ConvertedAccountId=ACCOUNT_1, ConvertedContactId=CONTACT_1,
        ConvertedOpportunityId=OPP_WON, OwnerId=USER_2, Country="United States", CurrencyIsoCode="USD"),
    _sf("Lead", "00Q", 2, "2026-02-02T08:15:00.000+0000", FirstName="Bill", LastName="Lumbergh",
        Name="Bill Lumbergh", Company="Initrode", Email="bill@initrode.example", Status="Working - Contacted",
        LeadSource="Phone Inquiry", IsConverted=False, OwnerId=USER_1, Country="United States",
        CurrencyIsoCode="USD"),
    _sf("Lead", "00Q", 3, "2026-02-03T08:15:00.000+0000", FirstName="Milton", LastName="Waddams",
        Name="Milton Waddams", Company="Penetrode", Email=None, Status="Closed - Not Converted",
        LeadSource="Purchased List", IsConverted=False, OwnerId=USER_1, CurrencyIsoCode="USD"),
]


def _opportunity(number: int, name: str, account: str, stage: str, amount: Any, close: str, *, closed: bool,
                 won: bool, created: str, modified: str, deleted: bool = False, loss_reason: str | None = None,
                 source: str = "Web") -> dict[str, Any]:
    return _sf("Opportunity", "006", number, created, deleted=deleted, modified=modified, Name=name,
               AccountId=account, StageName=stage, Amount=amount, CurrencyIsoCode="USD", CloseDate=close,
               Type="New Business", LeadSource=source, IsClosed=closed, IsWon=won,
               ForecastCategoryName="Closed" if won else ("Omitted" if closed else "Pipeline"), OwnerId=USER_2,
               Loss_Reason__c=loss_reason)


SALESFORCE_OPPORTUNITIES = [
    _opportunity(1, "Globex platform", ACCOUNT_1, "Closed Won", 120000, "2026-03-20", closed=True, won=True,
                 created="2026-01-12T15:30:00.000+0000", modified="2026-03-20T17:00:00.000+0000"),
    _opportunity(2, "Initech pilot", ACCOUNT_2, "Closed Lost", 18500.5, "2026-03-02", closed=True, won=False,
                 created="2026-01-20T11:00:00.000+0000", modified="2026-03-02T12:00:00.000+0000",
                 loss_reason="Price", source="Partner Referral"),
    _opportunity(3, "Globex renewal", ACCOUNT_1, "Qualification", 40000, "2026-06-30", closed=False, won=False,
                 created="2026-02-01T09:00:00.000+0000", modified="2026-03-10T09:00:00.000+0000"),
    _opportunity(4, "Initech add-on", ACCOUNT_2, "Qualification", 9000, "2026-05-31", closed=False, won=False,
                 created="2026-02-10T09:00:00.000+0000", modified="2026-02-20T09:00:00.000+0000", deleted=True),
    # an Amount the API would never send: quarantined (field Amount), the other four load
    _opportunity(5, "Umbrella trial", ACCOUNT_2, "Prospecting", "$12,000", "2026-07-31", closed=False, won=False,
                 created="2026-03-01T09:00:00.000+0000", modified="2026-03-01T09:00:00.000+0000"),
]

_history_numbers = iter(range(1, 100))


def _history(opportunity: str, at: str, stage: str, amount: float, close: str, *, deleted: bool = False,
             probability: int = 10) -> dict[str, Any]:
    return _sf("OpportunityHistory", "008", next(_history_numbers), at, deleted=deleted, OpportunityId=opportunity,
               StageName=stage, Amount=amount, ExpectedRevenue=amount * probability / 100, CloseDate=close,
               Probability=probability, ForecastCategory="Pipeline", CurrencyIsoCode="USD")


SALESFORCE_HISTORY = [
    # won: Prospecting, Qualification, (Amount only), Needs Analysis, Proposal/Price Quote (three stages skipped),
    # (CloseDate only), Negotiation/Review, Closed Won: 8 rows, 6 stage moves
    _history(OPP_WON, "2026-01-12T15:30:00.000+0000", "Prospecting", 100000, "2026-03-31"),
    _history(OPP_WON, "2026-01-19T10:00:00.000+0000", "Qualification", 100000, "2026-03-31"),
    _history(OPP_WON, "2026-01-26T10:00:00.000+0000", "Qualification", 120000, "2026-03-31"),
    _history(OPP_WON, "2026-02-02T10:00:00.000+0000", "Needs Analysis", 120000, "2026-03-31", probability=20),
    _history(OPP_WON, "2026-02-16T10:00:00.000+0000", "Proposal/Price Quote", 120000, "2026-03-31", probability=75),
    _history(OPP_WON, "2026-02-20T10:00:00.000+0000", "Proposal/Price Quote", 120000, "2026-03-20", probability=75),
    _history(OPP_WON, "2026-03-05T10:00:00.000+0000", "Negotiation/Review", 120000, "2026-03-20", probability=90),
    _history(OPP_WON, "2026-03-20T17:00:00.000+0000", "Closed Won", 120000, "2026-03-20", probability=100),
    # lost: Prospecting, Qualification, Needs Analysis, (Amount only), back to Qualification, Closed Lost:
    # 6 rows, 5 moves
    _history(OPP_LOST, "2026-01-20T11:00:00.000+0000", "Prospecting", 20000, "2026-03-31"),
    _history(OPP_LOST, "2026-01-27T11:00:00.000+0000", "Qualification", 20000, "2026-03-31"),
    _history(OPP_LOST, "2026-02-03T11:00:00.000+0000", "Needs Analysis", 20000, "2026-03-31", probability=20),
    _history(OPP_LOST, "2026-02-10T11:00:00.000+0000", "Needs Analysis", 18500.5, "2026-03-31", probability=20),
    _history(OPP_LOST, "2026-02-17T11:00:00.000+0000", "Qualification", 18500.5, "2026-03-31"),
    _history(OPP_LOST, "2026-03-02T12:00:00.000+0000", "Closed Lost", 18500.5, "2026-03-02", probability=0),
    # reopened: Prospecting, Closed Lost, then Qualification again: 3 rows, 3 moves
    _history(OPP_REOPENED, "2026-02-01T09:00:00.000+0000", "Prospecting", 40000, "2026-04-30"),
    _history(OPP_REOPENED, "2026-02-15T09:00:00.000+0000", "Closed Lost", 40000, "2026-02-15", probability=0),
    _history(OPP_REOPENED, "2026-03-10T09:00:00.000+0000", "Qualification", 40000, "2026-06-30"),
    # deleted with its opportunity: 2 rows, 2 moves, IsDeleted
    _history(OPP_DELETED, "2026-02-10T09:00:00.000+0000", "Prospecting", 9000, "2026-05-31", deleted=True),
    _history(OPP_DELETED, "2026-02-20T09:00:00.000+0000", "Qualification", 9000, "2026-05-31", deleted=True),
]

# Salesforce's default sales process: (MasterLabel, SortOrder, IsClosed, IsWon, DefaultProbability, forecast)
_STAGES = [
    ("Prospecting", 1, False, False, 10, "Pipeline"), ("Qualification", 2, False, False, 10, "Pipeline"),
    ("Needs Analysis", 3, False, False, 20, "Pipeline"), ("Value Proposition", 4, False, False, 50, "Pipeline"),
    ("Id. Decision Makers", 5, False, False, 60, "Pipeline"), ("Perception Analysis", 6, False, False, 70, "Pipeline"),
    ("Proposal/Price Quote", 7, False, False, 75, "Pipeline"), ("Negotiation/Review", 8, False, False, 90, "Pipeline"),
    ("Closed Won", 9, True, True, 100, "Closed"), ("Closed Lost", 10, True, False, 0, "Omitted"),
]
SALESFORCE_STAGES = [
    _sf("OpportunityStage", "01J", order, T0, ApiName=label, MasterLabel=label, IsActive=True, IsClosed=closed,
        IsWon=won, SortOrder=order, DefaultProbability=probability, ForecastCategory=forecast,
        ForecastCategoryName=forecast)
    for label, order, closed, won, probability, forecast in _STAGES
]
SALESFORCE_RECORDS = {"User": SALESFORCE_USERS, "Account": SALESFORCE_ACCOUNTS, "Contact": SALESFORCE_CONTACTS,
                      "Lead": SALESFORCE_LEADS, "Opportunity": SALESFORCE_OPPORTUNITIES,
                      "OpportunityHistory": SALESFORCE_HISTORY, "OpportunityStage": SALESFORCE_STAGES}


# ---------------------------------------------------------------- Pipedrive records (API v2; users and changelog v1)
PIPEDRIVE_USERS = [
    {"id": 101, "name": "Anna Schmidt", "default_currency": "EUR", "locale": "de_DE", "lang": 1,
     "email": "anna.schmidt@vertrieb.example", "phone": "+49 30 901820", "activated": True,
     "last_login": "2026-03-01 08:00:00", "created": "2025-11-03 09:12:45", "modified": "2026-03-01 08:00:00",
     "has_created_company": True, "access": [], "active_flag": True, "timezone_name": "Europe/Berlin",
     "timezone_offset": "+01:00", "role_id": 1, "icon_url": None, "is_you": True, "is_deleted": False},
    {"id": 102, "name": "Luca Rossi", "default_currency": "EUR", "locale": "it_IT", "lang": 1,
     "email": "luca.rossi@vertrieb.example", "phone": None, "activated": True, "last_login": None,
     "created": "2025-11-04 10:00:00", "modified": "2025-11-04 10:00:00", "has_created_company": False, "access": [],
     "active_flag": True, "timezone_name": "Europe/Rome", "timezone_offset": "+01:00", "role_id": 2,
     "icon_url": None, "is_you": False, "is_deleted": False},
]
PIPEDRIVE_PIPELINES = [{"id": 1, "name": "Sales pipeline", "order_nr": 0, "is_deleted": False,
                        "is_deal_probability_enabled": True, "add_time": "2025-11-03T09:12:45Z",
                        "update_time": "2025-11-03T09:12:45Z"}]
PIPEDRIVE_STAGES = [
    {"id": stage_id, "order_nr": stage_id, "name": name, "is_deleted": False, "deal_probability": probability,
     "pipeline_id": 1, "is_deal_rot_enabled": False, "days_to_rotten": None, "add_time": "2025-11-03T09:12:45Z",
     "update_time": "2025-11-03T09:12:45Z"}
    for stage_id, name, probability in [(1, "Qualified", 10), (2, "Contact Made", 20), (3, "Demo Scheduled", 40),
                                        (4, "Proposal Made", 60), (5, "Negotiations Started", 80)]
]
PIPEDRIVE_ORGANIZATIONS = [
    {"id": 201, "name": "Müller Maschinenbau GmbH", "owner_id": 101, "add_time": "2026-01-08T10:00:00Z",
     "update_time": "2026-01-08T10:00:00Z", "is_deleted": False, "visible_to": 3,
     "address": {"value": "Hauptstraße 5, 10115 Berlin", "country": "Germany", "locality": "Berlin"},
     "label_ids": [], "custom_fields": {}},
    {"id": 202, "name": "Rossi S.p.A.", "owner_id": 102, "add_time": "2026-01-09T10:00:00Z",
     "update_time": "2026-01-09T10:00:00Z", "is_deleted": False, "visible_to": 3, "address": None,
     "label_ids": [], "custom_fields": {}},
]
PIPEDRIVE_PERSONS = [
    {"id": 301, "name": "Klaus Müller", "first_name": "Klaus", "last_name": "Müller", "owner_id": 101,
     "org_id": 201, "add_time": "2026-01-08T10:05:00Z", "update_time": "2026-01-08T10:05:00Z",
     "is_deleted": False, "visible_to": 3,
     "emails": [{"value": "Klaus.Mueller@mueller-maschinenbau.example", "primary": True, "label": "work"},
                {"value": "klaus@home.example", "primary": False, "label": "home"}],
     "phones": [{"value": "+49 30 1234-567", "primary": True, "label": "work"}],
     "label_ids": [], "custom_fields": {}},
    {"id": 302, "name": "Giulia Bianchi", "first_name": "Giulia", "last_name": "Bianchi", "owner_id": 102,
     "org_id": 202, "add_time": "2026-01-09T10:05:00Z", "update_time": "2026-01-09T10:05:00Z",
     "is_deleted": False, "visible_to": 3,
     "emails": [{"value": "g.bianchi@private.example", "primary": False, "label": "home"},
                {"value": "giulia.bianchi@rossi.example", "primary": True, "label": "work"}],
     "phones": [{"value": "+39 02 1234 5678", "primary": True, "label": "work"}],
     "label_ids": [], "custom_fields": {}},
]


def _deal(deal_id: int, title: str, stage: int, value: Any, status: str, added: str, updated: str, *,
          person: int = 301, org: int = 201, owner: int = 101, won: str | None = None, lost: str | None = None,
          lost_reason: str | None = None, deleted: bool = False) -> dict[str, Any]:
    return {"id": deal_id, "title": title, "owner_id": owner, "person_id": person, "org_id": org, "pipeline_id": 1,
            "stage_id": stage, "value": value, "currency": "EUR", "add_time": added, "update_time": updated,
            "stage_change_time": updated, "is_deleted": deleted, "is_archived": False, "status": status,
            "probability": None, "lost_reason": lost_reason, "visible_to": 3, "close_time": won or lost,
            "won_time": won, "lost_time": lost, "expected_close_date": "2026-04-30", "label_ids": [],
            "origin": "ManuallyCreated", "origin_id": None, "channel": None, "channel_id": None, "arr": None,
            "mrr": None, "acv": None, "custom_fields": {}}


PIPEDRIVE_DEALS = [
    _deal(1, "Müller line 2", 3, 15000, "open", "2026-01-10T09:00:00Z", "2026-02-05T09:00:00Z"),
    _deal(2, "Rossi plant upgrade", 5, 42000.5, "won", "2026-01-11T09:00:00Z", "2026-03-12T16:00:00Z",
          person=302, org=202, owner=102, won="2026-03-12T16:00:00Z"),
    _deal(3, "Müller spare parts", 2, 8000, "lost", "2026-01-15T09:00:00Z", "2026-02-25T11:00:00Z",
          lost="2026-02-25T11:00:00Z", lost_reason="Too expensive"),
    _deal(4, "Rossi service contract", 2, 5000, "open", "2026-02-01T09:00:00Z", "2026-02-20T09:00:00Z",
          person=302, org=202, owner=102, deleted=True),
    # a value written as European text: quarantined (field value), the other four load
    _deal(5, "Müller training", 1, "1.500,00", "open", "2026-03-01T09:00:00Z", "2026-03-01T09:00:00Z"),
]


def _change(deal_id: int, field_key: str, old: str | None, new: str | None, time: str) -> dict[str, Any]:
    return {"deal_id": deal_id, "field_key": field_key, "old_value": old, "new_value": new, "actor_user_id": 101,
            "time": time, "change_source": "app", "change_source_user_agent": None, "is_bulk_update_flag": False}


PIPEDRIVE_CHANGELOG = [
    # open: 1 -> 2 -> 3 (2 moves) and a value change
    _change(1, "stage_id", "1", "2", "2026-01-20 09:00:00"),
    _change(1, "value", "12000", "15000", "2026-01-25 09:00:00"),
    _change(1, "stage_id", "2", "3", "2026-02-05 09:00:00"),
    # won: 1 -> 3 (skips 2) -> 4 -> 5, then the status (3 moves)
    _change(2, "stage_id", "1", "3", "2026-01-21 09:00:00"),
    _change(2, "stage_id", "3", "4", "2026-02-10 09:00:00"),
    _change(2, "stage_id", "4", "5", "2026-03-01 09:00:00"),
    _change(2, "status", "open", "won", "2026-03-12 16:00:00"),
    # lost: 1 -> 2 -> 3 -> back to 2, then the status (3 moves)
    _change(3, "stage_id", "1", "2", "2026-01-22 09:00:00"),
    _change(3, "stage_id", "2", "3", "2026-02-02 09:00:00"),
    _change(3, "stage_id", "3", "2", "2026-02-16 09:00:00"),
    _change(3, "status", "open", "lost", "2026-02-25 11:00:00"),
    # deleted: 1 -> 2 (1 move)
    _change(4, "stage_id", "1", "2", "2026-02-20 09:00:00"),
]


# ---------------------------------------------------------------- shaping and loading
def _resource(table: str, key: str, records: list[Any], to_row: Callable[[Any], dict], schema: pa.Schema,
              tally: InputTally, id_field: str) -> Any:
    """The records shaped as one page (ingestion.common.shaping): an Arrow table of `schema` and a quarantine row
    for each unusable record, numbered by its id."""
    table_page, bad = shape_page(records, to_row, tally, schema, table, row_number=record_id_number(id_field))
    return dlt.resource([*bad, table_page], name=table, primary_key=key, write_disposition="merge")


@dlt.source(name="salesforce", max_table_nesting=0)
def salesforce_fixture_source(recon: Reconciliation) -> list[Any]:
    resources = []
    for object_name, records in SALESFORCE_RECORDS.items():
        spec: SObjectSpec = SOBJECTS_BY_NAME[object_name]
        field_types = dict(spec.fields)  # describe lists every field of the spec (Loss_Reason__c among them)
        declare_table(spec.table, salesforce_rows.sobject_columns(spec, field_types), primary_key=["id"])
        resources.append(_resource(spec.table, "id", records, salesforce_rows.row_reader(spec, field_types),
                                   salesforce_rows.sobject_schema(spec, field_types),
                                   recon.tally(spec.input_name, "api"), "Id"))
    return resources


PIPEDRIVE_INPUTS = {  # table -> (records, row function)
    "deals": (PIPEDRIVE_DEALS, pipedrive_rows.deal_reader()),
    "deal_stage_changes": ([item for item in PIPEDRIVE_CHANGELOG if pipedrive_rows.is_stage_move(item)],
                           pipedrive_rows.stage_change_reader()),
    "pipelines": (PIPEDRIVE_PIPELINES, pipedrive_rows.pipeline_reader()),
    "stages": (PIPEDRIVE_STAGES, pipedrive_rows.stage_reader()),
    "persons": (PIPEDRIVE_PERSONS, pipedrive_rows.person_reader()),
    "organizations": (PIPEDRIVE_ORGANIZATIONS, pipedrive_rows.organization_reader()),
    "users": (PIPEDRIVE_USERS, pipedrive_rows.user_reader()),
}


@dlt.source(name="pipedrive", max_table_nesting=0)
def pipedrive_fixture_source(recon: Reconciliation) -> list[Any]:
    resources = []
    for table, (records, to_row) in PIPEDRIVE_INPUTS.items():
        key = pipedrive_rows.KEYS[table]
        declare_table(table, pipedrive_rows.COLUMNS[table], primary_key=[key])
        resources.append(_resource(table, key, records, to_row, pipedrive_rows.SCHEMAS[table],
                                   recon.tally(f"pipedrive/{table}", "api"), "id"))
    return resources


def load_crm_raw(warehouse: Path | None, pipelines_dir: Path, kind: str = "duckdb") -> dict[str, LoadSummary]:
    """raw_salesforce and raw_pipedrive of the DuckDB file `warehouse` (kind postgres: the Postgres database of the
    settings) from the records above, each through ingestion.pipeline.run_source (reconciled, tally and quarantine
    written): {source: its LoadSummary}."""
    summaries = {}
    for name, source, tables in (
        ("salesforce", salesforce_fixture_source, set(salesforce_rows.SCHEMAS)),
        ("pipedrive", pipedrive_fixture_source, set(pipedrive_rows.SCHEMAS)),
    ):
        recon = Reconciliation(name)
        pipeline = make_pipeline(name, warehouse=warehouse, pipelines_dir=pipelines_dir, kind=kind)
        summaries[name] = run_source(name, source(recon), recon, tables, pipeline=pipeline)
    return summaries
