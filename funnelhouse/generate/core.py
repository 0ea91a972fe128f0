"""generate(): writes the whole demo data set (forms, spreadsheets, CRM seeds, manifest) and returns counts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .crm import CrmPlan, build_owners, owner_count, write_crm
from .entities import EAST_SHEET_PERSON_BASE, ENGLISH_SHEET_PERSON_BASE, SOUTH_SHEET_PERSON_BASE, Universe
from .forms import write_forms
from .manifest import write_manifest
from .pipedrive import SHAPES as PIPEDRIVE_SHAPES
from .pipedrive import write_pipedrive
from .salesforce import SHAPES as SALESFORCE_SHAPES
from .salesforce import write_salesforce
from .sheets import (
    SheetDealMaker,
    write_east_workbooks,
    write_english_export,
    write_marketing_spend,
    write_south_csv,
)
from .timeline import Timeline, scaled_count
from .vendor_plan import VendorPlan
from .vendor_vocab import EUROPE, US, ZOHO_US
from .zoho import SHAPES as ZOHO_SHAPES
from .zoho import write_zoho
from .writers import FileLog

# Sizes at scale 1; everything except the sales team grows linearly with `scale`.
BASE_LEADS = 800
BASE_CRM_DEALS = 200
BASE_CRM_CONTACTS = 250
BASE_CRM_COMPANIES = 120
BASE_EAST_DEALS = 80
BASE_SOUTH_DEALS = 60
BASE_ENGLISH_DEALS = 60
BASE_UNIVERSE_COMPANIES = 600
# The US team's Salesforce org and the European team's Pipedrive account: accounts, contacts, deals, leads
# beyond the converted ones (Pipedrive has no leads here).
BASE_SALESFORCE = (70, 110, 150, 90)
BASE_PIPEDRIVE = (60, 100, 120, 0)
BASE_ZOHO = (50, 80, 100, 40)  # Zoho: accounts, contacts, deals, leads beyond the converted ones


def vendor_team_size(scale: float) -> int:
    """~8 users at scale 1, growing with the square root of the scale, as the HubSpot owners do."""
    return min(200, max(3, round(8 * scale**0.5)))


def generate(
    out_dir: Path, seed: int = 42, scale: float = 1.0, as_of: date = date(2026, 9, 30)
) -> dict[str, int]:
    """Write a realistic, deterministic sales-funnel data set under `out_dir` and return row counts.

    scale=1 is about 400 deals (1.8k stage changes) and 800 form submissions; scale=2500 is about 1M deals
    (4.3M stage changes) and 2M submissions, streamed to disk with well under 1 GB of memory. Beside them, a
    US team's Salesforce org (150 opportunities at scale 1) and a European team's Pipedrive account (120 deals),
    counted apart (salesforce_*, pipedrive_*): `deals` and `stage_changes` stay the HubSpot and spreadsheet ones.
    The same (seed, scale, as_of) always produces byte-identical files.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timeline = Timeline.ending(as_of)
    universe = Universe(seed, scaled_count(BASE_UNIVERSE_COMPANIES, scale, minimum=10))
    log = FileLog(out_dir)

    leads = write_forms(out_dir, universe, timeline, seed, scaled_count(BASE_LEADS, scale), log)
    owners = build_owners(seed, owner_count(scale), timeline)
    plan = CrmPlan(
        seed,
        universe,
        timeline,
        leads,
        owners,
        scaled_count(BASE_CRM_COMPANIES, scale),
        scaled_count(BASE_CRM_CONTACTS, scale),
        scaled_count(BASE_CRM_DEALS, scale),
    )
    counts = write_crm(out_dir, plan, log)

    def team(key: str):
        return [o for o in owners if o.team_key == key] or owners

    def maker(kind: str, team_key: str, region: str | None, person_base: int) -> SheetDealMaker:
        return SheetDealMaker(
            seed, kind, universe, timeline, leads, team(team_key), plan.n_companies, region, person_base
        )

    east, south, english = (
        scaled_count(BASE_EAST_DEALS, scale),
        scaled_count(BASE_SOUTH_DEALS, scale),
        scaled_count(BASE_ENGLISH_DEALS, scale),
    )
    east_changes = write_east_workbooks(
        out_dir, maker("east", "east", "east", EAST_SHEET_PERSON_BASE), east, log
    )
    south_changes = write_south_csv(
        out_dir, maker("south", "south", "south", SOUTH_SHEET_PERSON_BASE), south, log
    )
    english_changes = write_english_export(
        out_dir, maker("english", "international", None, ENGLISH_SHEET_PERSON_BASE), english, log
    )
    write_marketing_spend(out_dir, seed, timeline, leads, scale, log)
    for region, base, shapes, write in (
        (US, BASE_SALESFORCE, SALESFORCE_SHAPES, write_salesforce),
        (EUROPE, BASE_PIPEDRIVE, PIPEDRIVE_SHAPES, write_pipedrive),
    ):
        sizes = (vendor_team_size(scale), *(scaled_count(n, scale, minimum=0 if n == 0 else 1) for n in base))
        counts.update(write(out_dir, VendorPlan(seed, region, universe, timeline, leads, sizes, shapes), log))

    # The Zoho team (US, USD): its own org, counted apart (zoho_*).
    zoho_sizes = (vendor_team_size(scale), *(scaled_count(n, scale) for n in BASE_ZOHO))
    zoho_plan = VendorPlan(seed, ZOHO_US, universe, timeline, leads, zoho_sizes, ZOHO_SHAPES)
    counts.update(write_zoho(out_dir, zoho_plan, log))

    counts.update(
        {
            "deals": plan.n_deals + east + south + english,
            "east_tracker_deals": east,
            "south_tracker_deals": south,
            "english_export_deals": english,
            "stage_changes": counts["crm_stage_changes"] + east_changes + south_changes + english_changes,
            "stage_history_rows": counts["crm_stage_changes"] + english_changes,
            "leads": leads.submissions,
            "lead_people": leads.people,
            **{f"leads_{tool}": n for tool, n in leads.by_tool.items()},
        }
    )
    counts["files"] = len(log.rows) + 1  # + manifest.json
    write_manifest(out_dir, log, seed, scale, as_of, counts)
    return counts
