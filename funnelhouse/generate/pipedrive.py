"""Seed data for the Pipedrive emulator: a European sales team's company account (API v2 objects, v1 where v2
has no equivalent).

Writes `<out>/pipedrive/`: deals.jsonl (v2 deals, deleted ones with is_deleted true), deal_changelog.jsonl (v1
changelog items with their deal_id, oldest first per deal), pipelines, stages, persons, organizations (v2),
users and deal_fields (v1).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .timeline import DAY_MS, iso_z
from .vendor_plan import Change, Deal, VendorPlan, WalkShape
from .vendor_vocab import EUROPE
from .vocab import LOST_REASON_WORDINGS
from .writers import FileLog, JsonlWriter, write_jsonl

REGION = EUROPE
# (pipeline name, its stages (name, deal_probability)), each pipeline a walk shape with the same number of stages.
PIPELINES = (
    (
        "Sales",
        (
            ("Qualified", 10),
            ("Contact Made", 20),
            ("Demo Scheduled", 40),
            ("Proposal Made", 60),
            ("Negotiations Started", 80),
        ),
    ),
    ("Partnerships", (("Introduction", 20), ("Evaluation", 50), ("Contracting", 80))),
)
SHAPES = (
    (WalkShape((7.0, 10.0, 14.0, 14.0, 12.0), (0.15, 0.13, 0.15, 0.2, 0.2)), 0.8),
    (WalkShape((10.0, 14.0, 12.0), (0.1, 0.12, 0.15)), 0.2),
)
PRODUCTS = ("Annual licence", "Enterprise plan", "Extra seats", "Onboarding package", "Platform renewal")
PARTNER_FIELD_NAME = "Partner channel"
ENGLISH_LOST_REASONS = {key: [w for w in words if w.isascii()] for key, words in LOST_REASON_WORDINGS.items()}
STANDARD_DEAL_FIELDS = (  # (key, name, field_type, mandatory)
    ("title", "Title", "varchar", True),
    ("value", "Value", "monetary", False),
    ("currency", "Currency", "varchar", False),
    ("org_id", "Organization", "org", False),
    ("person_id", "Contact person", "people", False),
    ("user_id", "Owner", "user", True),
    ("pipeline_id", "Pipeline", "double", True),
    ("stage_id", "Stage", "stage", True),
    ("status", "Status", "status", False),
    ("probability", "Probability", "double", False),
    ("lost_reason", "Lost reason", "varchar_options", False),
    ("visible_to", "Visible to", "visible_to", False),
    ("add_time", "Deal created", "date", False),
    ("update_time", "Update time", "date", False),
    ("stage_change_time", "Last stage change", "date", False),
    ("won_time", "Won time", "date", False),
    ("lost_time", "Lost time", "date", False),
    ("close_time", "Deal closed on", "date", False),
    ("expected_close_date", "Expected close date", "date", False),
    ("label", "Label", "set", False),
)


def v1_time(ms: int) -> str:
    """2026-03-05 14:02:11 (UTC), as API v1 writes times."""
    return iso_z(ms)[:-1].replace("T", " ")


def custom_field_key(seed: int, name: str) -> str:
    """A 40-hex key, as Pipedrive gives each custom field."""
    return hashlib.sha1(f"{seed}:pipedrive-field:{name}".encode()).hexdigest()


def stage_ids(pipeline: int) -> list[int]:
    first = 1 + sum(len(stages) for _, stages in PIPELINES[:pipeline])
    return list(range(first, first + len(PIPELINES[pipeline][1])))


def user_id(index: int) -> int:
    return 13_052_000 + index * 7


class PipedriveAccount:
    """Renders a VendorPlan as Pipedrive objects."""

    def __init__(self, plan: VendorPlan):
        self.plan = plan
        self.partner_key = custom_field_key(plan.seed, PARTNER_FIELD_NAME)
        self.setup_ms = plan.timeline.start_ms - 400 * DAY_MS

    def _stamps(self, pipeline: int) -> dict:
        """add_time and update_time of a pipeline and its stages: set up one day after another, not changed."""
        moment = iso_z(self.setup_ms + pipeline * DAY_MS)
        return {"add_time": moment, "update_time": moment}

    def pipelines(self) -> list[dict]:
        return [
            {
                "id": i + 1,
                "name": name,
                "order_nr": i + 1,
                "is_deleted": False,
                "is_deal_probability_enabled": True,
                **self._stamps(i),
            }
            for i, (name, _) in enumerate(PIPELINES)
        ]

    def stages(self) -> list[dict]:
        return [
            {
                "id": stage_id,
                "order_nr": order + 1,
                "name": name,
                "is_deleted": False,
                "deal_probability": probability,
                "pipeline_id": p + 1,
                "is_deal_rot_enabled": False,
                "days_to_rotten": None,
                **self._stamps(p),
            }
            for p, (_, stages) in enumerate(PIPELINES)
            for order, ((name, probability), stage_id) in enumerate(zip(stages, stage_ids(p)))
        ]

    def user(self, u) -> dict:
        last_login = self.plan.timeline.horizon_ms - (u.index % 5 + 1) * DAY_MS
        return {
            "id": user_id(u.index),
            "name": f"{u.first_name} {u.last_name}",
            "default_currency": REGION.currency,
            "locale": "en_GB",
            "lang": 1,
            "email": u.email,
            "phone": None,
            "activated": u.active,
            "last_login": v1_time(last_login),
            "created": v1_time(u.created_ms),
            "modified": v1_time(u.created_ms + DAY_MS),
            "has_created_company": u.index == 0,
            "access": [{"app": "sales", "admin": u.role == 0, "permission_set_id": f"{u.role + 1:08d}"}],
            "active_flag": u.active,
            "timezone_name": "Europe/Berlin",
            "timezone_offset": "+01:00",
            "role_id": u.role + 1,
            "icon_url": None,
            "is_you": u.index == 0,
            "is_deleted": False,
        }

    def deal_fields(self) -> list[dict]:
        admin = user_id(0)
        fields = [
            (key, name, kind, mandatory, self.setup_ms, False)
            for key, name, kind, mandatory in STANDARD_DEAL_FIELDS
        ]
        fields.append(
            (self.partner_key, PARTNER_FIELD_NAME, "varchar", False, self.plan.field_added_ms, True)
        )
        return [
            {
                "id": 12_450 + i,
                "key": key,
                "name": name,
                "order_nr": i,
                "field_type": kind,
                "add_time": v1_time(added),
                "update_time": v1_time(added),
                "last_updated_by_user_id": admin if custom else None,
                "created_by_user_id": admin if custom else None,
                "active_flag": True,
                "edit_flag": custom,
                "index_visible_flag": True,
                "details_visible_flag": True,
                "add_visible_flag": True,
                "important_flag": False,
                "bulk_edit_allowed": True,
                "searchable_flag": custom,
                "filtering_allowed": True,
                "sortable_flag": True,
                "mandatory_flag": mandatory,
            }
            for i, (key, name, kind, mandatory, added, custom) in enumerate(fields)
        ]

    def organization(self, a: int) -> dict:
        account = self.plan.account(a)
        city, country = account.place.city, account.place.country
        return {
            "id": a + 1,
            "name": account.name,
            "owner_id": user_id(account.owner),
            "add_time": iso_z(account.created_ms),
            "update_time": iso_z(account.created_ms),
            "is_deleted": False,
            "visible_to": 3,
            "label_ids": [],
            "address": {
                "value": f"{city}, {country}",
                "street_number": None,
                "route": None,
                "sublocality": None,
                "locality": city,
                "admin_area_level_1": None,
                "admin_area_level_2": None,
                "country": country,
                "postal_code": None,
                "formatted_address": f"{city}, {country}",
            },
            "custom_fields": {},
        }

    def person(self, k: int) -> dict:
        contact = self.plan.contact(k)
        return {
            "id": k + 1,
            "name": f"{contact.first_name} {contact.last_name}",
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "owner_id": user_id(contact.owner),
            "org_id": contact.account + 1,
            "add_time": iso_z(contact.lead_created_ms or contact.created_ms),
            "update_time": iso_z(contact.created_ms),
            "is_deleted": False,
            "visible_to": 3,
            "picture_id": None,
            "label_ids": [],
            "emails": [{"value": contact.email, "primary": True, "label": "work"}],
            "phones": [{"value": contact.phone, "primary": True, "label": "work"}],
            "custom_fields": {},
        }

    def deal(self, deal: Deal) -> dict:
        plan, final = self.plan, deal.final
        stages = stage_ids(deal.pipeline)
        moves = [c.ms for c, before in zip(deal.changes[1:], deal.changes) if c.stage != before.stage]
        closed = _closed_at(deal) if final.status != "open" else None
        reason = None
        if deal.lost_category:
            wordings = ENGLISH_LOST_REASONS[deal.lost_category]
            reason = wordings[plan.spread(deal.index + 19, len(wordings))]
        return {
            "id": deal.index + 1,
            "title": f"{plan.account(deal.account).name} - {PRODUCTS[plan.spread(deal.index + 17, len(PRODUCTS))]}",
            "owner_id": user_id(deal.owner),
            "person_id": deal.contact + 1,
            "org_id": deal.account + 1,
            "pipeline_id": deal.pipeline + 1,
            "stage_id": stages[final.stage],
            "value": final.amount,
            "currency": REGION.currency,
            "add_time": iso_z(deal.created_ms),
            "update_time": iso_z(deal.modified_ms),
            "stage_change_time": iso_z(moves[-1]) if moves else None,
            "is_deleted": deal.deleted_ms is not None,
            "is_archived": False,
            "status": final.status,
            "probability": None,
            "lost_reason": reason,
            "visible_to": 3,
            "close_time": None if closed is None else iso_z(closed),
            "won_time": iso_z(closed) if final.status == "won" else None,
            "lost_time": iso_z(closed) if final.status == "lost" else None,
            "expected_close_date": iso_z(_expected_close_day(deal.changes) * DAY_MS)[:10],
            "label_ids": [],
            "origin": "ManuallyCreated",
            "origin_id": None,
            "channel": None,
            "channel_id": None,
            "arr": None,
            "mrr": None,
            "acv": None,
            "custom_fields": {self.partner_key: deal.partner_channel} if plan.has_partner_field(deal) else {},
        }

    def changelog(self, deal: Deal, lost_reason: str | None) -> list[dict]:
        """Field updates after creation, oldest first: stage moves, status, value, expected close date, the lost
        reason and the custom field once it exists."""
        stages = stage_ids(deal.pipeline)
        actor = user_id(deal.owner)
        items = []

        def item(ms: int, key: str, old, new) -> None:
            items.append(
                {
                    "deal_id": deal.index + 1,
                    "field_key": key,
                    "old_value": None if old is None else str(old),
                    "new_value": None if new is None else str(new),
                    "actor_user_id": actor,
                    "time": v1_time(ms),
                    "change_source": "app",
                    "change_source_user_agent": None,
                    "is_bulk_update_flag": False,
                }
            )

        expected = deal.changes[0].close_day
        for before, change in zip(deal.changes, deal.changes[1:]):
            if change.stage != before.stage:
                item(change.ms, "stage_id", stages[before.stage], stages[change.stage])
            if change.status != before.status:
                item(change.ms, "status", before.status, change.status)
            if change is deal.final and change.status == "lost" and lost_reason:
                item(change.ms, "lost_reason", None, lost_reason)
            if change.amount != before.amount:
                item(change.ms, "value", before.amount, change.amount)
            if change.what in ("close_date", "reopen") and change.close_day != expected:
                item(change.ms, "expected_close_date", _day(expected), _day(change.close_day))
                expected = change.close_day
        if deal.partner_channel is not None:
            item(deal.last_modified_ms, self.partner_key, None, deal.partner_channel)
        return items


def _day(day_number: int) -> str:
    return iso_z(day_number * DAY_MS)[:10]


def _closed_at(deal: Deal) -> int:
    return next(c.ms for c in reversed(deal.changes) if c.what in ("won", "lost"))


def _expected_close_day(changes: tuple[Change, ...]) -> int:
    return next(c.close_day for c in reversed(changes) if c.what in ("create", "close_date", "reopen"))


def write_pipedrive(out_dir: Path, plan: VendorPlan, log: FileLog) -> dict[str, int]:
    """Writes pipedrive/*.jsonl; returns counts for the manifest."""
    folder = out_dir / "pipedrive"
    account = PipedriveAccount(plan)

    write_jsonl(folder / "users.jsonl", log, (account.user(u) for u in plan.users))
    write_jsonl(folder / "pipelines.jsonl", log, account.pipelines())
    write_jsonl(folder / "stages.jsonl", log, account.stages())
    write_jsonl(folder / "deal_fields.jsonl", log, account.deal_fields())
    write_jsonl(
        folder / "organizations.jsonl", log, (account.organization(a) for a in range(plan.n_accounts))
    )
    write_jsonl(folder / "persons.jsonl", log, (account.person(k) for k in range(plan.n_contacts)))
    deals = JsonlWriter(folder / "deals.jsonl", log)
    changelog = JsonlWriter(folder / "deal_changelog.jsonl", log)
    deleted = stage_moves = 0
    for d in range(plan.n_deals):
        facts = plan.deal(d)
        deal = account.deal(facts)
        deleted += deal["is_deleted"]
        deals.write(deal)
        for item in account.changelog(facts, deal["lost_reason"]):
            stage_moves += item["field_key"] == "stage_id"
            changelog.write(item)
    deals.close()
    changelog.close()
    return {
        "pipedrive_users": len(plan.users),
        "pipedrive_organizations": plan.n_accounts,
        "pipedrive_persons": plan.n_contacts,
        "pipedrive_deals": plan.n_deals,
        "pipedrive_deals_deleted": deleted,
        "pipedrive_changelog_items": changelog.rows,
        "pipedrive_stage_changes": stage_moves,
    }
