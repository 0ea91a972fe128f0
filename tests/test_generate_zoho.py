"""The Zoho CRM org the generator writes (zoho/): counts, Zoho's shapes and stage vocabulary, the stage walks, and the
emulator serving it unchanged."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest

from emulators.zoho import ZohoEmulator
from funnelhouse.generate import generate
from funnelhouse.generate.zoho import PIPELINES, STAGES, zoho_time

ZOHO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[56]:00$")
ZOHO_ID = re.compile(r"^4876876\d{12}$")
OPEN = [name for name, _, kind, _ in STAGES if kind == "Open"]
CLOSED = {"Closed Won", "Closed Lost", "Closed-Lost to Competition"}
EXPECTED = {
    "zoho_users": 8,
    "zoho_accounts": 50,
    "zoho_contacts": 80,
    "zoho_leads": 119,  # 80 contacts' leads and 40 more, less 1 deleted; 36 of them converted
    "zoho_leads_converted": 36,
    "zoho_deals": 97,  # 100 planned, 3 deleted
    "zoho_deleted_records": 4,  # the 3 deals and the lead
    "zoho_deals_deleted": 3,
    "zoho_stage_history_rows": 660,
}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("zoho_seed")
    counts = generate(out, seed=42, scale=1.0, as_of=date(2026, 9, 30))
    folder = out / "zoho"
    files = {n: _jsonl(folder / f"{n}.jsonl") for n in ("Deals", "Stage_History", "Leads", "deleted", "users")}
    return folder, {"counts": counts, **files}


def test_counts_and_files(org):
    folder, seed = org
    assert {k: v for k, v in seed["counts"].items() if k.startswith("zoho_")} == EXPECTED
    assert sorted(p.name for p in folder.iterdir()) == [
        "Accounts.jsonl", "Contacts.jsonl", "Deals.jsonl", "Leads.jsonl", "Stage_History.jsonl", "deleted.jsonl",
        "fields_Deals.json", "layouts.json", "org.json", "pipelines.json", "users.jsonl"]
    assert Counter((r["module"], r["type"]) for r in seed["deleted"]) == {("Deals", "recycle"): 3,
                                                                         ("Leads", "permanent"): 1}
    assert sum(r["$converted"] for r in seed["Leads"]) == 36


def test_zoho_shapes(org):
    _, seed = org
    deal = seed["Deals"][0]
    assert ZOHO_ID.match(deal["id"]) and ZOHO_ID.match(deal["Owner"]["id"])
    assert set(deal["Account_Name"]) == {"name", "id"} and set(deal["Owner"]) == {"name", "id", "email"}
    assert (deal["Currency"], deal["$currency_symbol"]) == ("USD", "$")
    moments = [r["Modified_Time"] for r in seed["Deals"] + seed["Stage_History"]]
    assert all(ZOHO_TIME.match(m) for m in moments)
    # Central time: daylight (-05:00) from 8 March to 1 November 2026, standard (-06:00) outside it
    assert Counter(m[-6:] for m in moments) == {"-05:00": 582, "-06:00": 175}
    # 2026-03-08 08:00 UTC is 2:00 CST, when the clocks jump to 3:00 CDT
    assert zoho_time(1772956799000) == "2026-03-08T01:59:59-06:00"
    assert zoho_time(1772956800000) == "2026-03-08T03:00:00-05:00"
    converted = next(r for r in seed["Leads"] if r["$converted"])
    assert set(converted["$converted_detail"]) == {"converted_time", "account", "contact", "deal"}
    assert ZOHO_TIME.match(converted["$converted_detail"]["converted_time"])


def test_stage_vocabulary_and_walks(org):
    folder, seed = org
    assert Counter(d["Stage"] for d in seed["Deals"]) == {
        "Closed Won": 42, "Closed Lost": 32, "Closed-Lost to Competition": 7, "Id. Decision Makers": 4,
        "Qualification": 3, "Needs Analysis": 3, "Perception Analysis": 2, "Value Proposition": 2,
        "Proposal/Price Quote": 1, "Negotiation/Review": 1}
    lost_to_competition = [d for d in seed["Deals"] if d["Stage"] == "Closed-Lost to Competition"]
    assert {d["Reason_For_Loss__s"] for d in lost_to_competition} == {"Lost to Competitor"}
    pipelines = json.loads((folder / "pipelines.json").read_text())["pipeline"]
    assert [p["display_value"] for p in pipelines] == [name for name, _ in PIPELINES]
    standard = {m["display_value"]: (m["probability"], m["forecast_type"]) for m in pipelines[0]["maps"]}
    assert standard["Negotiation/Review"] == (90, "Open") and standard["Closed Won"] == (100, "Closed Won")
    assert standard["Closed-Lost to Competition"] == (0, "Closed Lost") and len(standard) == 10
    by_deal: dict[str, list[dict]] = {}
    for row in seed["Stage_History"]:
        by_deal.setdefault(row["deal_id"], []).append(row)
    live = {d["id"]: d for d in seed["Deals"]}
    assert set(by_deal) == set(live)  # every live deal has rows; the deleted ones have none
    backward = skipped = reopened = 0
    for deal_id, rows in by_deal.items():
        assert rows[-1]["Stage"] == live[deal_id]["Stage"] and rows[0]["Duration_Days"] is not None or len(rows) == 1
        order = OPEN if live[deal_id]["Pipeline"]["name"] == PIPELINES[0][0] else [OPEN[i] for i in PIPELINES[1][1]]
        stages = [r["Stage"] for r in rows]
        steps = [(order.index(a), order.index(b)) for a, b in zip(stages, stages[1:]) if a in order and b in order]
        backward += any(b < a for a, b in steps)
        skipped += any(b > a + 1 for a, b in steps)
        reopened += any(a in CLOSED and b in order for a, b in zip(stages, stages[1:]))
    assert (backward, skipped, reopened) == (7, 21, 8)


def test_field_added_mid_history(org):
    folder, seed = org
    field = json.loads((folder / "fields_Deals.json").read_text())["fields"][-1]
    assert (field["api_name"], field["custom_field"], field["created_time"]) == (
        "Partner_Channel", True, "2026-01-27T09:00:00-06:00")
    added = datetime.fromisoformat(field["created_time"])
    with_field = [d for d in seed["Deals"] if "Partner_Channel" in d]
    assert len(with_field) == 67 and sum(d["Partner_Channel"] is not None for d in with_field) == 24
    assert all(datetime.fromisoformat(d["Modified_Time"]).date() >= added.date() for d in with_field)
    assert all(datetime.fromisoformat(d["Modified_Time"]).date() < added.date()
               for d in seed["Deals"] if "Partner_Channel" not in d)


def test_emulator_serves_the_seed(org):
    folder, seed = org
    with ZohoEmulator(folder).start() as emulator, httpx.Client(
        base_url=emulator.base_url, headers={"Authorization": "Zoho-oauthtoken emulator-token"}, timeout=10
    ) as client:
        deals = client.get("/crm/v8/Deals", params={"fields": "Stage", "sort_order": "asc"}).json()
        assert deals["info"]["count"] == 97 and deals["info"]["more_records"] is False
        rows = 0
        for deal in deals["data"]:
            rows += len(client.get(f"/crm/v8/Deals/{deal['id']}/Stage_History", params={"fields": "Stage"})
                        .json()["data"])
        assert rows == EXPECTED["zoho_stage_history_rows"]
        assert emulator.stats()["routes"]["/crm/v8/{module}/{id}/{related}"] == {"200": 97}  # one per deal
        deleted = client.get("/crm/v8/Deals/deleted").json()["data"]
        assert len(deleted) == 3 and all(ZOHO_TIME.match(r["deleted_time"]) for r in deleted)
        leads = client.get("/crm/v8/Leads", params={"fields": "Last_Name", "converted": "both"}).json()
        assert leads["info"]["count"] == 119
