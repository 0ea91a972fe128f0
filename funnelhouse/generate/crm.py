"""Seed data for the HubSpot CRM v3 emulator: owners, pipelines, companies, contacts, deals (v3 shapes)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .entities import CRM_ONLY_PERSON_BASE, Person, Universe, landline_in_typed_format, mobile_in_typed_format
from .forms import LeadIndex, lead_channel
from .funnel import StagePath, deal_amount_cny, lost_reason, quiet_hours_after, simulate_stage_path
from .timeline import (
    DAY_MS,
    HOUR_MS,
    Timeline,
    before_horizon,
    iso_z_ms,
    later_working_moment,
    next_working_moment,
    seeded_rng,
    weighted_choice,
)
from .vocab import ENGLISH_GIVEN_NAMES, GIVEN_CHARS, PRODUCTS_ZH, SURNAMES, TEAM_BASE_NAMES, TEAM_KEYS
from .writers import FileLog, JsonlWriter

DEFAULT_PIPELINE_STAGES = (  # HubSpot's default deal pipeline
    ("appointmentscheduled", "Appointment Scheduled", "0.2"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4"),
    ("presentationscheduled", "Presentation Scheduled", "0.6"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
    ("contractsent", "Contract Sent", "0.9"),
    ("closedwon", "Closed Won", "1.0"),
    ("closedlost", "Closed Lost", "0.0"),
)
RENEWAL_PIPELINE_ID = "84512367"
RENEWAL_PIPELINE_STAGES = (
    ("1001", "待跟进", "0.2"),
    ("1002", "需求确认", "0.4"),
    ("1003", "方案报价", "0.6"),
    ("1004", "合同谈判", "0.8"),
    ("1005", "赢单", "1.0"),
    ("1006", "输单", "0.0"),
)
_NON_FORM_SOURCES = (
    "OFFLINE",
    "REFERRALS",
    "DIRECT_TRAFFIC",
    "ORGANIC_SEARCH",
    "EMAIL_MARKETING",
    "PAID_SEARCH",
)
_NON_FORM_SOURCE_WEIGHTS = (0.3, 0.25, 0.2, 0.1, 0.08, 0.07)
LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


@dataclass(frozen=True)
class Owner:
    id: str
    user_id: int
    first_name: str
    last_name: str
    email: str
    team_key: str
    team_id: str
    team_name: str
    created_ms: int
    updated_ms: int

    @property
    def display_name(self) -> str:
        """张伟 for Chinese names, Kevin Zhang for the international team's English names."""
        if self.team_key == "international":
            return f"{self.first_name} {self.last_name}"
        return self.last_name + self.first_name


def owner_count(scale: float) -> int:
    """~12 owners at scale 1, growing with the square root of the scale (teams grow slower than data)."""
    return min(300, max(3, int(round(12 * math.sqrt(scale)))))


def build_owners(seed: int, count: int, timeline: Timeline) -> list[Owner]:
    groups_per_team = max(1, math.ceil(count / 12))
    owners, emails = [], set()
    for i in range(count):
        rng = seeded_rng(seed, "owner", i)
        region, group = i % 3, (i // 3) % groups_per_team
        team_name = TEAM_BASE_NAMES[region] + ("" if group == 0 else f"{group + 1}组")
        surname, surname_pinyin = rng.choice(SURNAMES[:40])
        given_chars = [rng.choice(GIVEN_CHARS) for _ in range(2 if rng.random() < 0.6 else 1)]
        if TEAM_KEYS[region] == "international":
            first, last = rng.choice(ENGLISH_GIVEN_NAMES), surname_pinyin.capitalize()
            local = f"{first.lower()}.{surname_pinyin}"
        else:
            first, last = "".join(c[0] for c in given_chars), surname
            local = f"{''.join(c[1] for c in given_chars)}.{surname_pinyin}"
        email = f"{local}@fh-demo.com" if local not in emails else f"{local}{i}@fh-demo.com"
        emails.add(local)
        created = timeline.start_ms - rng.randrange(30 * DAY_MS, 700 * DAY_MS)
        owners.append(
            Owner(
                id=str(101 + i),
                user_id=26_000_000 + i * 13 + rng.randrange(13),
                first_name=first,
                last_name=last,
                email=email,
                team_key=TEAM_KEYS[region],
                team_id=str(9001 + region * 100 + group),
                team_name=team_name,
                created_ms=created,
                updated_ms=timeline.start_ms + rng.randrange(0, 200 * DAY_MS),
            )
        )
    return owners


def owner_object(owner: Owner) -> dict:
    return {
        "id": owner.id,
        "email": owner.email,
        "type": "PERSON",
        "firstName": owner.first_name,
        "lastName": owner.last_name,
        "userId": owner.user_id,
        "createdAt": iso_z_ms(owner.created_ms),
        "updatedAt": iso_z_ms(owner.updated_ms),
        "archived": False,
        "teams": [{"id": owner.team_id, "name": owner.team_name, "primary": True}],
    }


def pipelines_response(timeline: Timeline) -> dict:
    """Exactly the body of GET /crm/v3/pipelines/deals."""
    created = iso_z_ms(timeline.start_ms - 400 * DAY_MS)
    updated = iso_z_ms(timeline.start_ms - 35 * DAY_MS + 123)

    def stages(spec):
        return [
            {
                "id": stage_id,
                "label": label,
                "displayOrder": order,
                "metadata": {
                    "isClosed": "true" if order >= len(spec) - 2 else "false",
                    "probability": probability,
                },
                "createdAt": created,
                "updatedAt": updated,
                "archived": False,
                "writePermissions": "CRUD_ALL",
            }
            for order, (stage_id, label, probability) in enumerate(spec)
        ]

    return {
        "results": [
            {
                "id": "default",
                "label": "Sales Pipeline",
                "displayOrder": 0,
                "createdAt": created,
                "updatedAt": updated,
                "archived": False,
                "stages": stages(DEFAULT_PIPELINE_STAGES),
            },
            {
                "id": RENEWAL_PIPELINE_ID,
                "label": "续约与增购",
                "displayOrder": 1,
                "createdAt": created,
                "updatedAt": updated,
                "archived": False,
                "stages": stages(RENEWAL_PIPELINE_STAGES),
            },
        ]
    }


def history_entry(value: str, ms: int, user_id: int) -> dict:
    return {
        "value": value,
        "timestamp": iso_z_ms(ms),
        "sourceType": "CRM_UI",
        "sourceId": f"userId:{user_id}",
        "updatedByUserId": user_id,
    }


@dataclass(frozen=True)
class ContactFacts:
    index: int
    id: str
    person: Person
    company_index: int
    created_ms: int
    owner: Owner
    source: str
    from_lead: bool


@dataclass(frozen=True)
class DealFacts:
    index: int
    id: str
    company_index: int
    contact_indices: tuple[int, ...]
    created_ms: int
    path: StagePath
    pipeline: str
    owner: Owner
    amount: str
    currency: str
    lost_reason: str | None
    last_modified_ms: int
    archived_ms: int | None


class CrmPlan:
    """Decides, from numbers alone, which CRM contacts belong to which companies, deals and lead persons."""

    def __init__(
        self,
        seed: int,
        universe: Universe,
        timeline: Timeline,
        leads: LeadIndex,
        owners: list[Owner],
        n_companies: int,
        n_contacts: int,
        n_deals: int,
    ):
        self.seed, self.universe, self.timeline, self.leads, self.owners = (
            seed,
            universe,
            timeline,
            leads,
            owners,
        )
        self.n_companies = min(n_companies, universe.n_companies)
        self.n_contacts = max(n_contacts, self.n_companies)
        self.n_deals = n_deals
        self.contact = lru_cache(maxsize=65_536)(self._contact)
        self.deal = lru_cache(maxsize=16_384)(self._deal)

    # --- ids: numeric, increasing with the index -----------------------------------------------------
    @staticmethod
    def company_id(c: int) -> str:
        return str(5_000_000_000 + c * 40 + (c * 13) % 40)

    @staticmethod
    def contact_id(k: int) -> str:
        return str(1_001 + k * 50 + (k * 17) % 50)

    @staticmethod
    def deal_id(d: int) -> str:
        return str(9_000_000_000 + d * 25 + (d * 11) % 25)

    # --- structure ------------------------------------------------------------------------------
    def contacts_of_company(self, c: int) -> range:
        return range(c, self.n_contacts, self.n_companies)

    def deals_of_company(self, c: int) -> range:
        return range(c, self.n_deals, self.n_companies)

    def company_owner(self, c: int) -> Owner:
        return seeded_rng(self.seed, "crm-company-owner", c).choice(self.owners)

    def _contact(self, k: int) -> ContactFacts:
        rng = seeded_rng(self.seed, "crm-contact", k)
        c, nth = k % self.n_companies, k // self.n_companies
        lead_pids = self.universe.lead_persons_of_company(c, self.leads.people, limit=nth + 1)
        person, created, source, from_lead = None, 0, "", False
        if len(lead_pids) > nth and rng.random() < 0.75:
            pid = lead_pids[nth]
            candidate = self.universe.lead_person(pid)
            first_seen = self.leads.first_seen_ms[pid]
            if not candidate.is_junk and first_seen < self.timeline.horizon_ms - HOUR_MS:
                delay = int(rng.lognormvariate(math.log(20 * HOUR_MS), 1.0))
                person, from_lead = candidate, True
                created = later_working_moment(rng, first_seen, delay, self.timeline)
                source = lead_channel(self.seed, pid, first_seen).hubspot_source
        if person is None:
            person = self.universe.person(CRM_ONLY_PERSON_BASE + k, c)
            created = self.timeline.growing_moment(rng)
            source = weighted_choice(rng, _NON_FORM_SOURCES, _NON_FORM_SOURCE_WEIGHTS)
        return ContactFacts(
            k, self.contact_id(k), person, c, created, self.company_owner(c), source, from_lead
        )

    def primary_contact_of_deal(self, d: int) -> int:
        c = d % self.n_companies
        contacts = self.contacts_of_company(c)
        return contacts[(d // self.n_companies) % len(contacts)]

    def _deal(self, d: int) -> DealFacts:
        rng = seeded_rng(self.seed, "crm-deal", d)
        c = d % self.n_companies
        primary = self.primary_contact_of_deal(d)
        contact_indices = [primary]
        others = [k for k in self.contacts_of_company(c) if k != primary]
        if others and rng.random() < 0.3:
            contact_indices.append(rng.choice(others))
        contact = self.contact(primary)
        delay = int(rng.lognormvariate(math.log(6 * DAY_MS), 0.9))
        created = later_working_moment(rng, contact.created_ms, delay, self.timeline)
        renewal = rng.random() < 0.15
        path = simulate_stage_path(rng, created, self.timeline, n_open=4 if renewal else 5)
        owner = contact.owner if rng.random() < 0.9 else rng.choice(self.owners)
        company = self.universe.company(c)
        amount_cny = deal_amount_cny(rng, company.employees) // (3 if renewal else 1)
        currency = "USD" if rng.random() < 0.05 else "CNY"
        amount = amount_cny if currency == "CNY" else int(round(amount_cny / 7.1, -2))
        last_change = path.entries[-1][1]
        last_modified = (
            before_horizon(rng, last_change, quiet_hours_after(rng, last_change), self.timeline)
            if rng.random() < 0.5
            else last_change
        )
        archived = None
        if rng.random() < 0.05 and last_modified < self.timeline.horizon_ms - DAY_MS:
            archived = later_working_moment(rng, last_modified, rng.randrange(1, 60) * DAY_MS, self.timeline)
            archived = archived if archived > last_modified else None
        return DealFacts(
            index=d,
            id=self.deal_id(d),
            company_index=c,
            contact_indices=tuple(contact_indices),
            created_ms=created,
            path=path,
            pipeline=RENEWAL_PIPELINE_ID if renewal else "default",
            owner=owner,
            amount=str(amount),
            currency=currency,
            lost_reason=lost_reason(rng, path) if path.is_lost else None,
            last_modified_ms=last_modified,
            archived_ms=archived,
        )


def stage_id(deal: DealFacts, stage_index: int) -> str:
    spec = RENEWAL_PIPELINE_STAGES if deal.pipeline == RENEWAL_PIPELINE_ID else DEFAULT_PIPELINE_STAGES
    return spec[stage_index][0]


def deal_object(plan: CrmPlan, deal: DealFacts) -> dict:
    company = plan.universe.company(deal.company_index)
    contact = plan.contact(deal.contact_indices[0])
    product = seeded_rng(plan.seed, "crm-deal-name", deal.index).choice(PRODUCTS_ZH)
    path = deal.path
    properties = {
        "amount": deal.amount,
        "closed_lost_reason": deal.lost_reason,
        "closedate": iso_z_ms(path.entered_current_ms) if path.is_closed else None,
        "createdate": iso_z_ms(deal.created_ms),
        "deal_currency_code": deal.currency,
        "dealname": f"{company.short_name} - {product}",
        "dealstage": stage_id(deal, path.current_stage),
        "hs_analytics_source": contact.source,
        "hs_lastmodifieddate": iso_z_ms(deal.last_modified_ms),
        "hs_object_id": deal.id,
        "hubspot_owner_id": deal.owner.id,
        "pipeline": deal.pipeline,
    }
    history = [
        history_entry(stage_id(deal, stage), ms, deal.owner.user_id) for stage, ms in reversed(path.entries)
    ]
    obj = {
        "id": deal.id,
        "properties": properties,
        "propertiesWithHistory": {"dealstage": history},
        "createdAt": iso_z_ms(deal.created_ms),
        "updatedAt": iso_z_ms(deal.last_modified_ms),
        "archived": deal.archived_ms is not None,
    }
    if deal.archived_ms is not None:
        obj["archivedAt"] = iso_z_ms(deal.archived_ms)
    obj["associations"] = {
        "contacts": [plan.contact_id(k) for k in deal.contact_indices],
        "companies": [plan.company_id(deal.company_index)],
    }
    return obj


def lifecycle_changes(plan: CrmPlan, contact: ContactFacts) -> list[tuple[str, int]]:
    """(stage, moment) in time order: lead → MQL → SQL → opportunity (first deal) → customer (first win)."""
    rng = seeded_rng(plan.seed, "crm-lifecycle", contact.index)
    horizon = plan.timeline.horizon_ms
    first = "subscriber" if contact.source == "EMAIL_MARKETING" and rng.random() < 0.6 else "lead"
    changes = [(first, contact.created_ms)]
    deals = [
        plan.deal(d)
        for d in plan.deals_of_company(contact.company_index)
        if plan.primary_contact_of_deal(d) == contact.index
    ]
    if deals:
        opportunity_ms = min(d.created_ms for d in deals)
        gap = opportunity_ms - contact.created_ms
        changes.append(("marketingqualifiedlead", contact.created_ms + gap // 3))
        changes.append(("salesqualifiedlead", contact.created_ms + (2 * gap) // 3))
        changes.append(("opportunity", opportunity_ms))
        wins = [d.path.entered_current_ms for d in deals if d.path.is_won]
        if wins:
            changes.append(("customer", min(wins)))
        return changes
    moment = contact.created_ms
    for stage, chance in (("marketingqualifiedlead", 0.45), ("salesqualifiedlead", 0.4)):
        if rng.random() >= chance:
            break
        moment = next_working_moment(rng, moment, rng.randrange(1, 20) * DAY_MS)
        if moment > horizon:
            break
        changes.append((stage, moment))
    return changes


def contact_object(plan: CrmPlan, contact: ContactFacts) -> dict:
    rng = seeded_rng(plan.seed, "crm-contact-fields", contact.index)
    person, company = contact.person, plan.universe.company(contact.company_index)
    changes = lifecycle_changes(plan, contact)
    last_modified = changes[-1][1]
    if rng.random() < 0.4:
        last_modified = before_horizon(
            rng, last_modified, quiet_hours_after(rng, last_modified), plan.timeline
        )
    mobile = mobile_in_typed_format(rng, person.mobile)
    phone = landline_in_typed_format(rng, person.landline, person.area_code) if rng.random() < 0.5 else mobile
    properties = {
        "company": company.name,
        "createdate": iso_z_ms(contact.created_ms),
        "email": person.email,
        "firstname": person.given,
        "hs_analytics_source": contact.source,
        "hs_object_id": contact.id,
        "hubspot_owner_id": contact.owner.id,
        "jobtitle": person.title_zh if rng.random() < 0.8 else person.title_en,
        "lastmodifieddate": iso_z_ms(last_modified),
        "lastname": person.surname,
        "lifecyclestage": changes[-1][0],
        "mobilephone": mobile if rng.random() < 0.85 else None,
        "phone": phone if rng.random() < 0.9 else None,
    }
    user_id = contact.owner.user_id
    return {
        "id": contact.id,
        "properties": properties,
        "propertiesWithHistory": {
            "lifecyclestage": [history_entry(s, ms, user_id) for s, ms in reversed(changes)]
        },
        "createdAt": iso_z_ms(contact.created_ms),
        "updatedAt": iso_z_ms(last_modified),
        "archived": False,
        "associations": {"companies": [plan.company_id(contact.company_index)]},
    }


def company_object(plan: CrmPlan, c: int) -> dict:
    rng = seeded_rng(plan.seed, "crm-company-fields", c)
    company = plan.universe.company(c)
    contacts = [plan.contact(k) for k in plan.contacts_of_company(c)]
    created = max(plan.timeline.start_ms, min(k.created_ms for k in contacts) - rng.randrange(1_000, 300_000))
    newest_contact = max(k.created_ms for k in contacts)
    last_modified = before_horizon(rng, newest_contact, quiet_hours_after(rng, newest_contact), plan.timeline)
    properties = {
        "city": company.city.name,
        "country": "China",
        "createdate": iso_z_ms(created),
        "domain": company.domain,
        "hs_lastmodifieddate": iso_z_ms(last_modified),
        "hs_object_id": plan.company_id(c),
        "hubspot_owner_id": plan.company_owner(c).id,
        "industry": company.industry.hubspot,
        "name": company.name,
        "numberofemployees": str(company.employees),
    }
    return {
        "id": plan.company_id(c),
        "properties": properties,
        "createdAt": iso_z_ms(created),
        "updatedAt": iso_z_ms(last_modified),
        "archived": False,
        "associations": {"contacts": [k.id for k in contacts]},
    }


def write_crm(out_dir: Path, plan: CrmPlan, log: FileLog) -> dict[str, int]:
    """Writes crm/owners.jsonl, pipelines.json, companies.jsonl, contacts.jsonl, deals.jsonl (by id)."""
    crm_dir = out_dir / "crm"
    owners = JsonlWriter(crm_dir / "owners.jsonl", log)
    for owner in plan.owners:
        owners.write(owner_object(owner))
    owners.close()
    pipelines_path = crm_dir / "pipelines.json"
    pipelines_path.write_text(
        json.dumps(pipelines_response(plan.timeline), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    log.record(pipelines_path, 2)
    companies = JsonlWriter(crm_dir / "companies.jsonl", log)
    for c in range(plan.n_companies):
        companies.write(company_object(plan, c))
    companies.close()
    contacts = JsonlWriter(crm_dir / "contacts.jsonl", log)
    from_leads = 0
    for k in range(plan.n_contacts):
        facts = plan.contact(k)
        from_leads += facts.from_lead
        contacts.write(contact_object(plan, facts))
    contacts.close()
    deals = JsonlWriter(crm_dir / "deals.jsonl", log)
    stage_changes = archived = 0
    for d in range(plan.n_deals):
        facts = plan.deal(d)
        stage_changes += len(facts.path.entries)
        archived += facts.archived_ms is not None
        deals.write(deal_object(plan, facts))
    deals.close()
    return {
        "crm_owners": len(plan.owners),
        "crm_companies": plan.n_companies,
        "crm_contacts": plan.n_contacts,
        "crm_contacts_from_forms": from_leads,
        "crm_deals": plan.n_deals,
        "crm_deals_archived": archived,
        "crm_stage_changes": stage_changes,
    }
