"""Seed data for the Salesforce emulator: a US sales team's org as SOQL query result records (REST API v62.0).

Writes `<out>/salesforce/`: User, Account, Contact, Lead, Opportunity, OpportunityHistory and OpportunityStage
.jsonl (one record per line, as /query and /queryAll return them, deleted rows with IsDeleted true) and
fields.json (the org's fields per object, from which the emulator renders describe).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .timeline import DAY_MS, iso_z
from .vendor_plan import Change, Deal, VendorPlan, WalkShape
from .vendor_vocab import US
from .vocab import LOST_REASON_WORDINGS
from .writers import FileLog, JsonlWriter, write_jsonl

API_VERSION = "v62.0"
REGION = US
SHAPES = (
    (
        WalkShape((5.0, 6.0, 9.0, 8.0, 7.0, 8.0, 10.0, 9.0), (0.1, 0.1, 0.08, 0.08, 0.08, 0.1, 0.12, 0.12)),
        1.0,
    ),
)


class Stage(NamedTuple):
    label: str
    probability: int
    forecast: str  # ForecastCategory (API value); ForecastCategoryName is its label
    forecast_name: str


# Salesforce's standard opportunity stages, in SortOrder (the eight open ones are the walk's stages 0..7).
STAGES = (
    Stage("Prospecting", 10, "Pipeline", "Pipeline"),
    Stage("Qualification", 10, "Pipeline", "Pipeline"),
    Stage("Needs Analysis", 20, "Pipeline", "Pipeline"),
    Stage("Value Proposition", 50, "Pipeline", "Pipeline"),
    Stage("Id. Decision Makers", 60, "Pipeline", "Pipeline"),
    Stage("Perception Analysis", 70, "Pipeline", "Pipeline"),
    Stage("Proposal/Price Quote", 75, "Pipeline", "Pipeline"),
    Stage("Negotiation/Review", 90, "Pipeline", "Pipeline"),
    Stage("Closed Won", 100, "Closed", "Closed"),
    Stage("Closed Lost", 0, "Omitted", "Omitted"),
)
LEAD_STATUS = {
    "open": "Open - Not Contacted",
    "working": "Working - Contacted",
    "unqualified": "Closed - Not Converted",
    "converted": "Closed - Converted",
}
INDUSTRY_PICKLIST = {  # vocab industry key -> the standard Industry picklist value
    "software": "Technology",
    "manufacturing": "Manufacturing",
    "retail": "Retail",
    "finance": "Finance",
    "healthcare": "Healthcare",
    "education": "Education",
    "logistics": "Transportation",
    "automotive": "Machinery",
    "realestate": "Construction",
    "ecommerce": "Retail",
    "consumer": "Food & Beverage",
}
LOSS_REASONS = {  # lost-reason category -> Loss_Reason__c picklist value
    "price": "Price",
    "competitor": "Lost to Competitor",
    "budget": "No Budget",
    "timing": "Timing",
    "no_response": "No Response",
    "fit": "Not a Fit",
    "other": "Other",
}
assert set(LOSS_REASONS) == set(LOST_REASON_WORDINGS)
PRODUCTS = (
    "Annual Subscription",
    "Enterprise Upgrade",
    "Additional Seats",
    "Implementation Services",
    "Platform License",
)
KEY_PREFIXES = {
    "User": "005",
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "OpportunityStage": "01J",
    "UserRole": "00E",
    "Profile": "00e",
}
PARTNER_FIELD = "Partner_Channel__c"

# --- fields per object: (name, describe type, label, referenceTo) --------------------------------------
_AUDIT = (
    ("IsDeleted", "boolean", "Deleted", None),
    ("CreatedDate", "datetime", "Created Date", None),
    ("CreatedById", "reference", "Created By ID", "User"),
    ("LastModifiedDate", "datetime", "Last Modified Date", None),
    ("LastModifiedById", "reference", "Last Modified By ID", "User"),
    ("SystemModstamp", "datetime", "System Modstamp", None),
)
_CURRENCY = (("CurrencyIsoCode", "picklist", "Currency ISO Code", None),)
_PERSON = (
    ("FirstName", "string", "First Name", None),
    ("LastName", "string", "Last Name", None),
    ("Name", "string", "Full Name", None),
    ("Email", "email", "Email", None),
    ("Phone", "phone", "Phone", None),
    ("Title", "string", "Title", None),
)
FIELDS: dict[str, tuple[tuple[str, str, str, str | None], ...]] = {
    "User": (
        ("Id", "id", "User ID", None),
        ("Username", "string", "Username", None),
        *_PERSON,
        ("IsActive", "boolean", "Active", None),
        ("ManagerId", "reference", "Manager ID", "User"),
        ("UserRoleId", "reference", "Role ID", "UserRole"),
        ("ProfileId", "reference", "Profile ID", "Profile"),
        ("Department", "string", "Department", None),
        ("TimeZoneSidKey", "picklist", "Time Zone", None),
        ("DefaultCurrencyIsoCode", "picklist", "Default Currency ISO Code", None),
        *_AUDIT,
    ),
    "Account": (
        ("Id", "id", "Account ID", None),
        ("Name", "string", "Account Name", None),
        ("Type", "picklist", "Account Type", None),
        ("Industry", "picklist", "Industry", None),
        ("NumberOfEmployees", "int", "Employees", None),
        ("AnnualRevenue", "currency", "Annual Revenue", None),
        ("Website", "url", "Website", None),
        ("Phone", "phone", "Account Phone", None),
        ("BillingCity", "string", "Billing City", None),
        ("BillingState", "string", "Billing State/Province", None),
        ("BillingCountry", "string", "Billing Country", None),
        ("OwnerId", "reference", "Owner ID", "User"),
        *_CURRENCY,
        *_AUDIT,
    ),
    "Contact": (
        ("Id", "id", "Contact ID", None),
        ("AccountId", "reference", "Account ID", "Account"),
        *_PERSON,
        ("LeadSource", "picklist", "Lead Source", None),
        ("MailingCountry", "string", "Mailing Country", None),
        ("OwnerId", "reference", "Owner ID", "User"),
        *_CURRENCY,
        *_AUDIT,
    ),
    "Lead": (
        ("Id", "id", "Lead ID", None),
        *_PERSON,
        ("Company", "string", "Company", None),
        ("Industry", "picklist", "Industry", None),
        ("NumberOfEmployees", "int", "Employees", None),
        ("Country", "string", "Country", None),
        ("Status", "picklist", "Lead Status", None),
        ("LeadSource", "picklist", "Lead Source", None),
        ("OwnerId", "reference", "Owner ID", "User"),
        ("IsConverted", "boolean", "Converted", None),
        ("ConvertedDate", "date", "Converted Date", None),
        ("ConvertedAccountId", "reference", "Converted Account ID", "Account"),
        ("ConvertedContactId", "reference", "Converted Contact ID", "Contact"),
        ("ConvertedOpportunityId", "reference", "Converted Opportunity ID", "Opportunity"),
        *_CURRENCY,
        *_AUDIT,
    ),
    "Opportunity": (
        ("Id", "id", "Opportunity ID", None),
        ("AccountId", "reference", "Account ID", "Account"),
        ("ContactId", "reference", "Contact ID", "Contact"),
        ("Name", "string", "Name", None),
        ("Type", "picklist", "Opportunity Type", None),
        ("StageName", "picklist", "Stage", None),
        ("Amount", "currency", "Amount", None),
        ("Probability", "percent", "Probability (%)", None),
        ("ExpectedRevenue", "currency", "Expected Amount", None),
        ("CloseDate", "date", "Close Date", None),
        ("LeadSource", "picklist", "Lead Source", None),
        ("IsClosed", "boolean", "Closed", None),
        ("IsWon", "boolean", "Won", None),
        ("ForecastCategory", "picklist", "Forecast Category", None),
        ("ForecastCategoryName", "picklist", "Forecast Category", None),
        ("OwnerId", "reference", "Owner ID", "User"),
        ("LastStageChangeDate", "datetime", "Last Stage Change Date", None),
        ("FiscalYear", "int", "Fiscal Year", None),
        ("FiscalQuarter", "int", "Fiscal Quarter", None),
        *_CURRENCY,
        *_AUDIT,
        ("Loss_Reason__c", "picklist", "Loss Reason", None),
        (PARTNER_FIELD, "picklist", "Partner Channel", None),
    ),
    "OpportunityHistory": (
        ("Id", "id", "Opportunity History ID", None),
        ("OpportunityId", "reference", "Opportunity ID", "Opportunity"),
        ("StageName", "picklist", "Stage", None),
        ("Amount", "currency", "Amount", None),
        ("ExpectedRevenue", "currency", "Expected Revenue", None),
        ("CloseDate", "date", "Close Date", None),
        ("Probability", "percent", "Probability (%)", None),
        ("ForecastCategory", "picklist", "To ForecastCategory", None),
        ("PrevAmount", "currency", "Previous Amount", None),
        ("PrevCloseDate", "date", "Previous Close Date", None),
        *_CURRENCY,
        ("IsDeleted", "boolean", "Deleted", None),
        ("CreatedDate", "datetime", "Created Date", None),
        ("CreatedById", "reference", "Created By ID", "User"),
        ("SystemModstamp", "datetime", "System Modstamp", None),
    ),
    "OpportunityStage": (
        ("Id", "id", "Opportunity Stage ID", None),
        ("ApiName", "string", "Api Name", None),
        ("MasterLabel", "string", "Master Label", None),
        ("Description", "string", "Description", None),
        ("IsActive", "boolean", "Is Active", None),
        ("IsClosed", "boolean", "Closed", None),
        ("IsWon", "boolean", "Won", None),
        ("SortOrder", "int", "Sort Order", None),
        ("DefaultProbability", "percent", "Probability (%)", None),
        ("ForecastCategory", "picklist", "Forecast Type", None),
        ("ForecastCategoryName", "picklist", "Forecast Category", None),
        *_AUDIT,
    ),
}

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def sf_id(sobject: str, number: int) -> str:
    """An 18-character Salesforce id: key prefix, pod, reserved digit, nine base-62 digits, case checksum."""
    digits = []
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    return with_checksum(KEY_PREFIXES[sobject] + "5g0" + "".join(reversed(digits)))


def with_checksum(core: str) -> str:
    """The 15-character id plus its 3-character suffix: per 5-character chunk, bit i set when character i is an
    upper-case letter, the 5-bit number written as A-Z0-5."""
    return core + _chunk_checksum(core[:5]) + _chunk_checksum(core[5:10]) + _chunk_checksum(core[10:])


@lru_cache(maxsize=65_536)
def _chunk_checksum(chunk: str) -> str:
    return _CHECKSUM[sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")]


def sf_datetime(ms: int) -> str:
    """2026-03-05T14:02:11.000+0000, as Salesforce writes datetimes in JSON."""
    return iso_z(ms)[:-1] + ".000+0000"


def sf_date(day_number: int) -> str:
    return iso_z(day_number * DAY_MS)[:10]


def _record(sobject: str, values: dict) -> dict:
    """The SOQL result record: attributes, then the object's fields in describe order (absent ones left out)."""
    record = {
        "attributes": {
            "type": sobject,
            "url": f"/services/data/{API_VERSION}/sobjects/{sobject}/{values['Id']}",
        }
    }
    for name, *_ in FIELDS[sobject]:
        if name in values:
            record[name] = values[name]
    return record


def _audit(created_ms: int, modified_ms: int, by: str, deleted: bool = False) -> dict:
    return {
        "IsDeleted": deleted,
        "CreatedDate": sf_datetime(created_ms),
        "CreatedById": by,
        "LastModifiedDate": sf_datetime(modified_ms),
        "LastModifiedById": by,
        "SystemModstamp": sf_datetime(modified_ms),
    }


@lru_cache(maxsize=1_024)
def user_id(index: int) -> str:
    return sf_id("User", 7_300 + index * 7)


def fields_document() -> dict:
    return {
        sobject: [
            {
                "name": name,
                "type": kind,
                "label": label,
                "custom": name.endswith("__c"),
                **({"referenceTo": [ref]} if kind == "reference" else {}),
            }
            for name, kind, label, ref in fields
        ]
        for sobject, fields in FIELDS.items()
    }


class SalesforceOrg:
    """Renders a VendorPlan as Salesforce records."""

    def __init__(self, plan: VendorPlan):
        self.plan = plan
        self.admin = user_id(0)

    @staticmethod
    def account_id(a: int) -> str:
        return sf_id("Account", 410_000 + a * 23)

    @staticmethod
    def contact_id(k: int) -> str:
        return sf_id("Contact", 930_000 + k * 19)

    @staticmethod
    def lead_id(n: int) -> str:
        return sf_id("Lead", 120_000 + n * 17)

    @staticmethod
    def opportunity_id(d: int) -> str:
        return sf_id("Opportunity", 650_000 + d * 29)

    def user(self, u) -> dict:
        values = {
            "Id": user_id(u.index),
            "Username": u.email,
            "FirstName": u.first_name,
            "LastName": u.last_name,
            "Name": f"{u.first_name} {u.last_name}",
            "Email": u.email,
            "Phone": None,
            "Title": u.title,
            "IsActive": u.active,
            "ManagerId": None if u.manager is None else user_id(u.manager),
            "UserRoleId": sf_id("UserRole", 100 + u.role),
            "ProfileId": sf_id("Profile", 200 + (0 if u.role == 0 else 1)),
            "Department": "Sales",
            "TimeZoneSidKey": "America/New_York",
            "DefaultCurrencyIsoCode": REGION.currency,
            **_audit(u.created_ms, u.created_ms + DAY_MS, self.admin),
        }
        return _record("User", values)

    def stage(self, order: int, stage: Stage) -> dict:
        created = self.plan.timeline.start_ms - 500 * DAY_MS
        values = {
            "Id": sf_id("OpportunityStage", 30 + order),
            "ApiName": stage.label,
            "MasterLabel": stage.label,
            "Description": None,
            "IsActive": True,
            "IsClosed": order >= 8,
            "IsWon": order == 8,
            "SortOrder": order + 1,
            "DefaultProbability": stage.probability,
            "ForecastCategory": stage.forecast,
            "ForecastCategoryName": stage.forecast_name,
            **_audit(created, created, self.admin),
        }
        return _record("OpportunityStage", values)

    def account(self, a: int) -> dict:
        plan, account = self.plan, self.plan.account(a)
        city, state, country = account.place.city, account.place.state, account.place.country
        owner = user_id(account.owner)
        values = {
            "Id": self.account_id(a),
            "Name": account.name,
            "Type": "Customer - Direct" if plan.spread(a + 11, 5) < 2 else "Prospect",
            "Industry": INDUSTRY_PICKLIST[account.industry.key],
            "NumberOfEmployees": account.employees,
            "AnnualRevenue": None,
            "Website": f"www.{account.domain}",
            "Phone": None,
            "BillingCity": city,
            "BillingState": state,
            "BillingCountry": country,
            "OwnerId": owner,
            "CurrencyIsoCode": REGION.currency,
            **_audit(account.created_ms, account.created_ms + plan.spread(a + 13, 5 * DAY_MS), owner),
        }
        values["LastModifiedDate"] = values["SystemModstamp"] = min(
            values["LastModifiedDate"], sf_datetime(plan.timeline.horizon_ms)
        )
        return _record("Account", values)

    def contact(self, k: int) -> dict:
        contact = self.plan.contact(k)
        owner = user_id(contact.owner)
        values = {
            "Id": self.contact_id(k),
            "AccountId": self.account_id(contact.account),
            "FirstName": contact.first_name,
            "LastName": contact.last_name,
            "Name": f"{contact.first_name} {contact.last_name}",
            "Email": contact.email,
            "Phone": contact.phone,
            "Title": contact.title,
            "LeadSource": contact.source,
            "MailingCountry": None,
            "OwnerId": owner,
            "CurrencyIsoCode": REGION.currency,
            **_audit(contact.created_ms, contact.created_ms, owner),
        }
        return _record("Contact", values)

    def lead(self, n: int) -> dict:
        plan, lead = self.plan, self.plan.lead(n)
        owner = user_id(lead.owner)
        converted = lead.contact is not None
        contact = plan.contact(lead.contact) if converted else None
        deal = plan.converted_deal_of_contact(lead.contact) if converted else None
        values = {
            "Id": self.lead_id(n),
            "FirstName": lead.first_name,
            "LastName": lead.last_name,
            "Name": f"{lead.first_name} {lead.last_name}",
            "Email": lead.email,
            "Phone": lead.phone,
            "Title": lead.title,
            "Company": lead.company,
            "Industry": INDUSTRY_PICKLIST[lead.industry.key],
            "NumberOfEmployees": lead.employees,
            "Country": lead.place.country,
            "Status": LEAD_STATUS[lead.status],
            "LeadSource": lead.source,
            "OwnerId": owner,
            "IsConverted": converted,
            "ConvertedDate": sf_date(lead.modified_ms // DAY_MS) if converted else None,
            "ConvertedAccountId": self.account_id(contact.account) if converted else None,
            "ConvertedContactId": self.contact_id(lead.contact) if converted else None,
            "ConvertedOpportunityId": self.opportunity_id(deal) if deal is not None else None,
            "CurrencyIsoCode": REGION.currency,
            **_audit(lead.created_ms, lead.modified_ms, owner),
        }
        if lead.deleted_ms is not None:
            values.update(IsDeleted=True, LastModifiedDate=sf_datetime(lead.deleted_ms))
            values["SystemModstamp"] = values["LastModifiedDate"]
        return _record("Lead", values)

    def opportunity(self, deal: Deal) -> dict:
        plan = self.plan
        final = deal.final
        stage = _stage_of(final)
        owner = user_id(deal.owner)
        product = PRODUCTS[plan.spread(deal.index + 17, len(PRODUCTS))]
        close = sf_date(final.close_day)
        stage_changes = [c.ms for c in deal.changes if c.what not in ("amount", "close_date")]
        values = {
            "Id": self.opportunity_id(deal.index),
            "AccountId": self.account_id(deal.account),
            "ContactId": self.contact_id(deal.contact),
            "Name": f"{plan.account(deal.account).name} - {product}",
            "Type": "New Business" if deal.index < plan.n_contacts else "Existing Customer - Upgrade",
            "StageName": stage.label,
            "Amount": final.amount,
            "Probability": stage.probability,
            "ExpectedRevenue": final.amount * stage.probability / 100,
            "CloseDate": close,
            "LeadSource": plan.contact(deal.contact).source,
            "IsClosed": final.status != "open",
            "IsWon": final.status == "won",
            "ForecastCategory": stage.forecast,
            "ForecastCategoryName": stage.forecast_name,
            "OwnerId": owner,
            "LastStageChangeDate": sf_datetime(stage_changes[-1]),
            "FiscalYear": int(close[:4]),
            "FiscalQuarter": (int(close[5:7]) - 1) // 3 + 1,
            "CurrencyIsoCode": REGION.currency,
            **_audit(deal.created_ms, deal.modified_ms, owner, deal.deleted_ms is not None),
            "Loss_Reason__c": LOSS_REASONS[deal.lost_category] if deal.lost_category else None,
        }
        if plan.has_partner_field(deal):
            values[PARTNER_FIELD] = deal.partner_channel
        return _record("Opportunity", values)

    def history(self, deal: Deal, first_number: int) -> list[dict]:
        """One OpportunityHistory row per save that changed the stage, amount or close date (the first is
        the creation); rows of a deleted opportunity are deleted with it."""
        rows, previous = [], None
        owner, opportunity = user_id(deal.owner), self.opportunity_id(deal.index)
        deleted = deal.deleted_ms is not None
        for offset, change in enumerate(deal.changes):
            stage = _stage_of(change)
            values = {
                "Id": sf_id("OpportunityHistory", first_number + offset),
                "OpportunityId": opportunity,
                "StageName": stage.label,
                "Amount": change.amount,
                "ExpectedRevenue": change.amount * stage.probability / 100,
                "CloseDate": sf_date(change.close_day),
                "Probability": stage.probability,
                "ForecastCategory": stage.forecast,
                "PrevAmount": None if previous is None else previous.amount,
                "PrevCloseDate": None if previous is None else sf_date(previous.close_day),
                "CurrencyIsoCode": REGION.currency,
                "IsDeleted": deleted,
                "CreatedDate": sf_datetime(change.ms),
                "CreatedById": owner,
                "SystemModstamp": sf_datetime(deal.deleted_ms if deleted else change.ms),
            }
            rows.append(_record("OpportunityHistory", values))
            previous = change
        return rows


def _stage_of(change: Change) -> Stage:
    if change.status == "won":
        return STAGES[8]
    if change.status == "lost":
        return STAGES[9]
    return STAGES[change.stage]


def write_salesforce(out_dir: Path, plan: VendorPlan, log: FileLog) -> dict[str, int]:
    """Writes salesforce/*.jsonl and fields.json; returns counts for the manifest."""
    folder = out_dir / "salesforce"
    org = SalesforceOrg(plan)

    write_jsonl(folder / "User.jsonl", log, (org.user(u) for u in plan.users))
    write_jsonl(folder / "OpportunityStage.jsonl", log, (org.stage(i, s) for i, s in enumerate(STAGES)))
    write_jsonl(folder / "Account.jsonl", log, (org.account(a) for a in range(plan.n_accounts)))
    write_jsonl(folder / "Contact.jsonl", log, (org.contact(k) for k in range(plan.n_contacts)))
    leads = JsonlWriter(folder / "Lead.jsonl", log)
    converted = deleted_leads = 0
    for n in range(plan.n_leads):
        record = org.lead(n)
        converted += record["IsConverted"]
        deleted_leads += record["IsDeleted"]
        leads.write(record)
    leads.close()
    opportunities = JsonlWriter(folder / "Opportunity.jsonl", log)
    history = JsonlWriter(folder / "OpportunityHistory.jsonl", log)
    deleted = stage_rows = 0
    for d in range(plan.n_deals):
        deal = plan.deal(d)
        deleted += deal.deleted_ms is not None
        opportunities.write(org.opportunity(deal))
        previous_stage = None
        for row in org.history(deal, history.rows + 1):
            stage_rows += row["StageName"] != previous_stage
            previous_stage = row["StageName"]
            history.write(row)
    opportunities.close()
    history.close()
    fields_path = folder / "fields.json"
    fields_path.write_text(json.dumps(fields_document(), indent=2) + "\n", encoding="utf-8")
    log.record(fields_path, len(FIELDS))
    return {
        "salesforce_users": len(plan.users),
        "salesforce_accounts": plan.n_accounts,
        "salesforce_contacts": plan.n_contacts,
        "salesforce_leads": plan.n_leads,
        "salesforce_leads_converted": converted,
        "salesforce_leads_deleted": deleted_leads,
        "salesforce_opportunities": plan.n_deals,
        "salesforce_opportunities_deleted": deleted,
        "salesforce_history_rows": history.rows,
        "salesforce_stage_changes": stage_rows,
    }
