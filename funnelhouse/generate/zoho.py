"""Seed data for the Zoho CRM emulator: a US team's Zoho CRM org (API v8 records; format in emulators/zoho/README.md).

Writes `<out>/zoho/`: users.jsonl, Leads.jsonl (converted ones with `$converted` and `$converted_detail`),
Accounts.jsonl, Contacts.jsonl, Deals.jsonl (live records only), Stage_History.jsonl (a row per save of a live deal
that changed Stage, Amount, Closing_Date or Probability, with the parent `deal_id`), deleted.jsonl (deleted deals
and leads, recycle bin or permanent), layouts.json, pipelines.json (the Standard pipeline and a Renewals one with
probabilities and forecast types) and fields_Deals.json (the Stage picklist and the `Partner_Channel` field added
mid-history). Times ISO 8601 in the org's time zone (America/Chicago: -06:00, -05:00 in US daylight time).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from .timeline import DAY_MS, HOUR_MS, SECOND_MS, iso_z
from .vendor_plan import Change, Deal, VendorPlan, WalkShape
from .vendor_vocab import ZOHO_US
from .writers import FileLog, JsonlWriter, write_jsonl

REGION = ZOHO_US
ORG = 4_876_876  # the org's 7-digit id prefix: Zoho record ids are this and 12 more digits
TIME_ZONE = "America/Chicago"
# Zoho's Stage picklist of the standard Deals layout: (display value, probability, forecast type, category).
STAGES = (
    ("Qualification", 10, "Open", "Pipeline"),
    ("Needs Analysis", 20, "Open", "Pipeline"),
    ("Value Proposition", 40, "Open", "Pipeline"),
    ("Id. Decision Makers", 60, "Open", "Pipeline"),
    ("Perception Analysis", 70, "Open", "Pipeline"),
    ("Proposal/Price Quote", 75, "Open", "Best Case"),
    ("Negotiation/Review", 90, "Open", "Commit"),
    ("Closed Won", 100, "Closed Won", "Closed"),
    ("Closed Lost", 0, "Closed Lost", "Omitted"),
    ("Closed-Lost to Competition", 0, "Closed Lost", "Omitted"),
)
WON, LOST, LOST_TO_COMPETITION = 7, 8, 9
# (pipeline, the open stages it walks (indexes of STAGES)), each a walk shape of as many stages.
PIPELINES = (("Standard (Standard)", (0, 1, 2, 3, 4, 5, 6)), ("Renewals", (0, 5, 6)))
SHAPES = (
    (WalkShape((6.0, 8.0, 10.0, 9.0, 8.0, 10.0, 9.0), (0.12, 0.1, 0.1, 0.1, 0.12, 0.15, 0.15)), 0.8),
    (WalkShape((12.0, 14.0, 10.0), (0.05, 0.1, 0.12)), 0.2),
)
LEAD_SOURCES = {"Web": "Web Download", "Phone Inquiry": "Cold Call", "Partner Referral": "External Referral",
                "Purchased List": "Advertisement", "Other": "Trade Show"}
LEAD_STATUSES = {"open": "Not Contacted", "working": "Contacted", "unqualified": "Not Qualified",
                 "converted": "Pre-Qualified"}
REASONS_FOR_LOSS = {"price": "Expensive", "competitor": "Lost to Competitor", "budget": "Budget Constraints",
                    "timing": "Future Interest", "no_response": "No Response", "fit": "Missing Features",
                    "other": "Other"}
INDUSTRIES = {"software": "Technology", "logistics": "Transportation", "manufacturing": "Manufacturing",
              "healthcare": "Healthcare", "retail": "Retail", "finance": "Financial Services",
              "education": "Education", "automotive": "Automotive", "realestate": "Real Estate",
              "ecommerce": "Retail", "consumer": "Consumer Goods"}
PRODUCTS = ("Annual subscription", "Enterprise plan", "Seat expansion", "Implementation", "Renewal")
PARTNER_FIELD = "Partner_Channel"
RECYCLE_DAYS = 60  # Zoho keeps deleted records in the recycle bin for 60 days, then deletes them for good
_BASES = {"user": 235_000, "layout": 91_000, "pipeline": 92_000, "stage": 6_800, "field": 2_400,
          "account": 1_000_000_000, "contact": 2_000_000_000, "lead": 3_000_000_000, "deal": 4_000_000_000,
          "history": 5_000_000_000}


def zoho_id(kind: str, n: int) -> str:
    """A 19-digit Zoho id: the org prefix and the kind's block."""
    return str(ORG * 10**12 + _BASES[kind] + n)


def _daylight(ms: int) -> bool:
    """US daylight time: from the second Sunday of March, 2:00 local, to the first Sunday of November, 2:00."""
    year = int(iso_z(ms)[:4])
    march = date(year, 3, 8) + timedelta(days=(6 - date(year, 3, 8).weekday()) % 7)
    november = date(year, 11, 1) + timedelta(days=(6 - date(year, 11, 1).weekday()) % 7)
    start = (march - date(1970, 1, 1)).days * DAY_MS + 8 * HOUR_MS  # 2:00 CST is 08:00 UTC
    end = (november - date(1970, 1, 1)).days * DAY_MS + 7 * HOUR_MS  # 2:00 CDT is 07:00 UTC
    return start <= ms < end


def zoho_time(ms: int) -> str:
    """2026-03-05T08:02:11-06:00: Zoho's datetime, in the org's time zone."""
    offset = REGION.utc_offset_hours + _daylight(ms)
    local = iso_z(ms - ms % SECOND_MS + offset * HOUR_MS)[:-1]
    return f"{local}{'-' if offset < 0 else '+'}{abs(offset):02d}:00"


def zoho_date(day_number: int) -> str:
    return iso_z(day_number * DAY_MS)[:10]


class ZohoRenderer:
    """Renders a VendorPlan as Zoho CRM records."""

    def __init__(self, plan: VendorPlan):
        self.plan = plan
        self.setup_ms = plan.timeline.start_ms - 400 * DAY_MS

    # ------------------------------------------------------------ users and lookups
    def user_ref(self, u: int, email: bool = False) -> dict[str, Any]:
        user = self.plan.users[u]
        ref = {"name": f"{user.first_name} {user.last_name}", "id": zoho_id("user", u)}
        return {**ref, "email": user.email} if email else ref

    def user(self, u) -> dict[str, Any]:
        return {
            "id": zoho_id("user", u.index), "first_name": u.first_name, "last_name": u.last_name,
            "full_name": f"{u.first_name} {u.last_name}", "email": u.email,
            "status": "active" if u.active else "disabled", "confirm": True,
            "role": {"name": ("CEO", "Manager", "Sales Representative")[u.role], "id": zoho_id("user", 900 + u.role)},
            "profile": {"name": "Administrator" if u.role == 0 else "Standard", "id": zoho_id("user", 950 + min(1, u.role))},
            "Reporting_To": None if u.manager is None else self.user_ref(u.manager),
            "time_zone": TIME_ZONE, "locale": "en_US", "country_locale": "en_US",
            "created_time": zoho_time(u.created_ms), "Modified_Time": zoho_time(u.created_ms + DAY_MS),
        }

    def _audit(self, created_ms: int, modified_ms: int, owner: int) -> dict[str, Any]:
        return {"Owner": self.user_ref(owner, email=True), "Created_By": self.user_ref(owner, email=True),
                "Modified_By": self.user_ref(owner, email=True), "Created_Time": zoho_time(created_ms),
                "Modified_Time": zoho_time(modified_ms)}

    def account_ref(self, a: int) -> dict[str, Any]:
        return {"name": self.plan.account(a).name, "id": zoho_id("account", a)}

    def contact_ref(self, k: int) -> dict[str, Any]:
        contact = self.plan.contact(k)
        return {"name": f"{contact.first_name} {contact.last_name}", "id": zoho_id("contact", k)}

    # ------------------------------------------------------------ module records
    def account(self, a: int) -> dict[str, Any]:
        plan, account = self.plan, self.plan.account(a)
        modified = min(account.created_ms + plan.spread(a + 13, 5 * DAY_MS), plan.timeline.horizon_ms)
        return {
            "id": zoho_id("account", a), "Account_Name": account.name, "Website": f"www.{account.domain}",
            "Industry": INDUSTRIES.get(account.industry.key, "Other"), "Employees": account.employees,
            "Account_Type": "Customer" if plan.spread(a + 11, 5) < 2 else "Prospect", "Phone": None,
            "Billing_City": account.place.city, "Billing_State": account.place.state,
            "Billing_Country": account.place.country, "$currency_symbol": "$", "$state": "save",
            **self._audit(account.created_ms, modified, account.owner),
        }

    def contact(self, k: int) -> dict[str, Any]:
        contact = self.plan.contact(k)
        return {
            "id": zoho_id("contact", k), "First_Name": contact.first_name, "Last_Name": contact.last_name,
            "Full_Name": f"{contact.first_name} {contact.last_name}", "Email": contact.email,
            "Phone": contact.phone, "Title": contact.title, "Account_Name": self.account_ref(contact.account),
            "Lead_Source": LEAD_SOURCES[contact.source], "Mailing_City": self.plan.account(contact.account).place.city,
            "$state": "save", **self._audit(contact.created_ms, contact.created_ms, contact.owner),
        }

    def lead(self, n: int) -> tuple[dict[str, Any], int | None]:
        """The lead record and, when the lead was deleted, the moment it was."""
        plan, lead = self.plan, self.plan.lead(n)
        converted = lead.contact is not None
        detail: dict[str, Any] = {}
        if converted:
            deal = plan.converted_deal_of_contact(lead.contact)
            detail = {"converted_time": zoho_time(lead.modified_ms),
                      "account": zoho_id("account", plan.contact(lead.contact).account),
                      "contact": zoho_id("contact", lead.contact),
                      "deal": None if deal is None or plan.deal(deal).deleted_ms is not None else zoho_id("deal", deal)}
        record = {
            "id": zoho_id("lead", n), "First_Name": lead.first_name, "Last_Name": lead.last_name,
            "Full_Name": f"{lead.first_name} {lead.last_name}", "Email": lead.email, "Phone": lead.phone,
            "Designation": lead.title, "Company": lead.company,
            "Industry": INDUSTRIES.get(lead.industry.key, "Other"), "No_of_Employees": lead.employees,
            "City": lead.place.city, "State": lead.place.state, "Country": lead.place.country,
            "Lead_Source": LEAD_SOURCES[lead.source], "Lead_Status": LEAD_STATUSES[lead.status],
            "$converted": converted, "$converted_detail": detail, "$state": "save",
            **self._audit(lead.created_ms, lead.modified_ms, lead.owner),
        }
        return record, lead.deleted_ms

    def stage_of(self, deal: Deal, change: Change) -> int:
        if change.status == "won":
            return WON
        if change.status == "lost":
            return LOST_TO_COMPETITION if deal.lost_category == "competitor" else LOST
        return PIPELINES[deal.pipeline][1][change.stage]

    def deal(self, deal: Deal) -> dict[str, Any]:
        plan, final = self.plan, deal.final
        stage = self.stage_of(deal, final)
        name, probability, _, _ = STAGES[stage]
        created = deal.created_ms
        record = {
            "id": zoho_id("deal", deal.index),
            "Deal_Name": f"{plan.account(deal.account).name} - {PRODUCTS[plan.spread(deal.index + 17, len(PRODUCTS))]}",
            "Account_Name": self.account_ref(deal.account), "Contact_Name": self.contact_ref(deal.contact),
            "Pipeline": {"name": PIPELINES[deal.pipeline][0], "id": zoho_id("pipeline", deal.pipeline)},
            "Stage": name, "Amount": final.amount, "Currency": REGION.currency, "Exchange_Rate": 1,
            "$currency_symbol": "$", "Probability": probability,
            "Expected_Revenue": round(final.amount * probability / 100, 2),
            "Closing_Date": zoho_date(final.close_day),
            "Lead_Source": LEAD_SOURCES[plan.contact(deal.contact).source],
            "Type": "Existing Business" if deal.pipeline == 1 else "New Business",
            "Reason_For_Loss__s": REASONS_FOR_LOSS[deal.lost_category] if final.status == "lost" else None,
            "Next_Step": None, "Description": None, "$state": "save",
            **self._audit(created, deal.last_modified_ms, deal.owner),
        }
        if plan.has_partner_field(deal):
            record[PARTNER_FIELD] = deal.partner_channel
        return record

    def stage_history(self, deal: Deal, first_id: int) -> list[dict[str, Any]]:
        """A row per save that changed Stage, Amount, Closing_Date or Probability, oldest first; Duration_Days
        counts whole days until the next row (null on the newest)."""
        rows, tracked = [], None
        for change in deal.changes:
            stage = self.stage_of(deal, change)
            name, probability, _, _ = STAGES[stage]
            state = (name, change.amount, change.close_day)
            if state == tracked:
                continue
            tracked = state
            rows.append({
                "id": zoho_id("history", first_id + len(rows)), "deal_id": zoho_id("deal", deal.index),
                "Stage": name, "Amount": change.amount, "Probability": probability,
                "Expected_Revenue": round(change.amount * probability / 100, 2),
                "Closing_Date": zoho_date(change.close_day), "Duration_Days": None,
                "Modified_By": self.user_ref(deal.owner, email=True), "Modified_Time": zoho_time(change.ms),
                "_ms": change.ms,
            })
        for row, following in zip(rows, rows[1:]):
            row["Duration_Days"] = (following["_ms"] - row["_ms"]) // DAY_MS
        for row in rows:
            del row["_ms"]
        return rows

    def deleted(self, module: str, record: dict[str, Any], deleted_ms: int, who: int) -> dict[str, Any]:
        recent = self.plan.timeline.horizon_ms - deleted_ms < RECYCLE_DAYS * DAY_MS
        name = record.get("Deal_Name") or record.get("Full_Name")
        return {"module": module, "deleted_by": self.user_ref(who), "id": record["id"], "display_name": name,
                "type": "recycle" if recent else "permanent", "created_by": self.user_ref(who),
                "deleted_time": zoho_time(deleted_ms)}

    # ------------------------------------------------------------ settings documents
    def stage_map(self, stage: int) -> dict[str, Any]:
        name, probability, forecast_type, category = STAGES[stage]
        return {"display_value": name, "actual_value": name, "id": zoho_id("stage", stage),
                "sequence_number": stage + 1, "probability": probability, "forecast_type": forecast_type,
                "forecast_category": {"name": category, "id": zoho_id("stage", 100 + ("Pipeline", "Best Case",
                                      "Commit", "Closed", "Omitted").index(category))}}

    def pipelines(self) -> dict[str, Any]:
        return {"pipeline": [
            {"id": zoho_id("pipeline", p), "display_value": name, "actual_value": name, "default": p == 0,
             "child_available": False, "parent": None,
             "maps": [{**self.stage_map(s), "sequence_number": n + 1}
                      for n, s in enumerate((*stages, WON, LOST, LOST_TO_COMPETITION))]}
            for p, (name, stages) in enumerate(PIPELINES)]}

    def layouts(self) -> dict[str, Any]:
        return {"layouts": [{"id": zoho_id("layout", 0), "name": "Standard", "api_name": "Standard",
                             "status": "active", "created_time": zoho_time(self.setup_ms)}]}

    def fields(self) -> dict[str, Any]:
        admin = self.user_ref(0)

        def field(n: int, api_name: str, label: str, data_type: str, created_ms: int, **extra) -> dict[str, Any]:
            return {"id": zoho_id("field", n), "api_name": api_name, "field_label": label, "data_type": data_type,
                    "custom_field": api_name == PARTNER_FIELD, "created_time": zoho_time(created_ms),
                    "created_source": "default" if api_name != PARTNER_FIELD else "crm_ui",
                    "modified_by": admin if api_name == PARTNER_FIELD else None, **extra}

        stage_values = [{**{k: v for k, v in self.stage_map(s).items() if k != "sequence_number"},
                         "sequence_number": s + 1, "type": "used"} for s in range(len(STAGES))]
        standard = (("Deal_Name", "Deal Name", "text"), ("Account_Name", "Account Name", "lookup"),
                    ("Contact_Name", "Contact Name", "lookup"), ("Pipeline", "Pipeline", "picklist"),
                    ("Amount", "Amount", "currency"), ("Closing_Date", "Closing Date", "date"),
                    ("Probability", "Probability (%)", "integer"), ("Lead_Source", "Lead Source", "picklist"),
                    ("Reason_For_Loss__s", "Reason For Loss", "picklist"), ("Owner", "Deal Owner", "ownerlookup"),
                    ("Created_Time", "Created Time", "datetime"), ("Modified_Time", "Modified Time", "datetime"))
        fields = [field(0, "Stage", "Stage", "picklist", self.setup_ms, pick_list_values=stage_values)]
        fields += [field(n + 1, *spec, self.setup_ms) for n, spec in enumerate(standard)]
        fields.append(field(len(fields), PARTNER_FIELD, "Partner Channel", "picklist", self.plan.field_added_ms))
        return {"fields": fields}


def _write_document(path: Path, log: FileLog, document: dict[str, Any], rows: int) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log.record(path, rows)


def write_zoho(out_dir: Path, plan: VendorPlan, log: FileLog) -> dict[str, int]:
    """Writes zoho/*.jsonl and the settings documents; returns counts for the manifest."""
    folder = out_dir / "zoho"
    org = ZohoRenderer(plan)
    write_jsonl(folder / "users.jsonl", log, (org.user(u) for u in plan.users))
    write_jsonl(folder / "Accounts.jsonl", log, (org.account(a) for a in range(plan.n_accounts)))
    write_jsonl(folder / "Contacts.jsonl", log, (org.contact(k) for k in range(plan.n_contacts)))
    leads, deleted = JsonlWriter(folder / "Leads.jsonl", log), JsonlWriter(folder / "deleted.jsonl", log)
    converted = 0
    for n in range(plan.n_leads):
        record, deleted_ms = org.lead(n)
        if deleted_ms is None:
            converted += record["$converted"]
            leads.write(record)
        else:
            deleted.write(org.deleted("Leads", record, deleted_ms, plan.lead(n).owner))
    leads.close()
    deals, history = JsonlWriter(folder / "Deals.jsonl", log), JsonlWriter(folder / "Stage_History.jsonl", log)
    deleted_deals = stage_rows = 0
    for d in range(plan.n_deals):
        facts = plan.deal(d)
        record = org.deal(facts)
        if facts.deleted_ms is not None:
            deleted_deals += 1
            deleted.write(org.deleted("Deals", record, facts.deleted_ms, facts.owner))
            continue
        deals.write(record)
        for row in org.stage_history(facts, history.rows):
            history.write(row)
        stage_rows = history.rows
    deals.close()
    history.close()
    deleted.close()
    _write_document(folder / "layouts.json", log, org.layouts(), 1)
    _write_document(folder / "pipelines.json", log, org.pipelines(), len(PIPELINES))
    fields = org.fields()
    _write_document(folder / "fields_Deals.json", log, fields, len(fields["fields"]))
    return {
        "zoho_users": len(plan.users),
        "zoho_accounts": plan.n_accounts,
        "zoho_contacts": plan.n_contacts,
        "zoho_leads": leads.rows,
        "zoho_leads_converted": converted,
        "zoho_deals": deals.rows,
        "zoho_deleted_records": deleted.rows,
        "zoho_deals_deleted": deleted_deals,
        "zoho_stage_history_rows": stage_rows,
    }
