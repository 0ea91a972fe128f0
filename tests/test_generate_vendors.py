"""Tests for the Salesforce org and the Pipedrive company account the generator writes (salesforce/, pipedrive/)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from funnelhouse.generate import generate
from funnelhouse.generate.salesforce import sf_id, with_checksum

AS_OF = date(2026, 9, 30)
# The custom fields appear 11/20 into the window: 2025-04-01 00:00 + 11/20 × 547 days 10 h = + 301.08 days.
FIELD_DAY = "2026-01-27"
SF_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")
SF_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
V1_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
HORIZON_SF, HORIZON_PD = "2026-09-30T10:00:00.000+0000", "2026-09-30T10:00:00Z"
SF_OBJECTS = ("User", "Account", "Contact", "Lead", "Opportunity", "OpportunityHistory", "OpportunityStage")
PREFIXES = {"User": "005", "Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006",
            "OpportunityHistory": "008", "OpportunityStage": "01J"}
STANDARD_STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
                   "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"]
# seed 42, scale 1 (the demo's): pinned like test_generate's EXPECTED_COUNTS_SCALE_1
EXPECTED_VENDOR_COUNTS = {
    "salesforce_users": 8,
    "salesforce_accounts": 70,
    "salesforce_contacts": 110,
    "salesforce_leads": 200,
    "salesforce_leads_converted": 52,
    "salesforce_leads_deleted": 2,
    "salesforce_opportunities": 150,
    "salesforce_opportunities_deleted": 11,
    "salesforce_history_rows": 1239,
    "salesforce_stage_changes": 986,  # 150 first rows + 836 rows with a new StageName
    "pipedrive_users": 8,
    "pipedrive_organizations": 60,
    "pipedrive_persons": 100,
    "pipedrive_deals": 120,
    "pipedrive_deals_deleted": 3,
    "pipedrive_changelog_items": 630,
    "pipedrive_stage_changes": 297,
}
# sha256 over every file but the manifest and the two vendor folders, as main wrote them before vendors existed
EXISTING_OUTPUTS_SHA256 = "582b0c87eaf3969b101a6f05c006a25294eb632a080dcdb90c2cdedf26ca781b"


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def folder_hashes(root: Path, *folders: str) -> dict[str, str]:
    paths = [p for folder in folders for p in sorted((root / folder).rglob("*")) if p.is_file()]
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def scale_1(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("vendors")
    return out, generate(out, seed=42, scale=1.0, as_of=AS_OF)


@pytest.fixture(scope="module")
def sf(scale_1) -> dict[str, list[dict]]:
    out, _ = scale_1
    return {name: jsonl(out / "salesforce" / f"{name}.jsonl") for name in SF_OBJECTS}


@pytest.fixture(scope="module")
def pd(scale_1) -> dict[str, list[dict]]:
    out, _ = scale_1
    names = ("deals", "deal_changelog", "pipelines", "stages", "persons", "organizations", "users", "deal_fields")
    return {name: jsonl(out / "pipedrive" / f"{name}.jsonl") for name in names}


def test_counts_and_manifest(scale_1, sf, pd):
    out, counts = scale_1
    assert {k: v for k, v in counts.items() if k.startswith(("salesforce_", "pipedrive_"))} == EXPECTED_VENDOR_COUNTS
    manifest = {f["path"]: f["rows"] for f in json.loads((out / "manifest.json").read_text())["files"]}
    assert manifest["salesforce/Opportunity.jsonl"] == len(sf["Opportunity"]) == 150
    assert manifest["salesforce/OpportunityHistory.jsonl"] == counts["salesforce_history_rows"]
    assert manifest["pipedrive/deal_changelog.jsonl"] == counts["pipedrive_changelog_items"]
    assert sum(o["IsDeleted"] for o in sf["Opportunity"]) == counts["salesforce_opportunities_deleted"]
    assert sum(d["is_deleted"] for d in pd["deals"]) == counts["pipedrive_deals_deleted"]
    assert sum(c["field_key"] == "stage_id" for c in pd["deal_changelog"]) == counts["pipedrive_stage_changes"]


def test_existing_outputs_unchanged(scale_1):
    out, _ = scale_1
    names = sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.name != "manifest.json" and p.relative_to(out).parts[0] not in ("salesforce", "pipedrive", "zoho")
    )
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + hashlib.sha256((out / name).read_bytes()).digest())
    assert (len(names), digest.hexdigest()) == (47, EXISTING_OUTPUTS_SHA256)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for path, seed in ((first, 5), (second, 5), (other, 6)):
        generate(path, seed=seed, scale=0.2, as_of=AS_OF)
    assert folder_hashes(first, "salesforce", "pipedrive") == folder_hashes(second, "salesforce", "pipedrive")
    differing = folder_hashes(first, "salesforce", "pipedrive").items() ^ folder_hashes(other, "salesforce", "pipedrive").items()
    assert {"salesforce/Opportunity.jsonl", "pipedrive/deals.jsonl"} <= {name for name, _ in differing}


# --- Salesforce ---------------------------------------------------------------------------------------
def test_salesforce_records_are_soql_results(scale_1, sf):
    out, _ = scale_1
    fields = json.loads((out / "salesforce" / "fields.json").read_text())
    assert sorted(fields) == sorted(SF_OBJECTS)
    for name, records in sf.items():
        described = {f["name"]: f for f in fields[name]}
        for record in records:
            record_id = record["Id"]
            assert record["attributes"] == {"type": name, "url": f"/services/data/v62.0/sobjects/{name}/{record_id}"}
            assert re.fullmatch(PREFIXES[name] + r"[0-9A-Za-z]{12}[A-Z0-5]{3}", record_id), record_id
            assert sf_id(name, 0)[:6] == record_id[:6]
            expected = set(described) - ({"Partner_Channel__c"} if "Partner_Channel__c" not in record else set())
            assert set(record) - {"attributes"} == expected, name
            for key, value in record.items():
                kind = described.get(key, {}).get("type")
                if value is None or kind is None:
                    continue
                if kind == "datetime":
                    assert SF_DATETIME.match(value) and value <= HORIZON_SF, (name, key, value)
                elif kind == "date":
                    assert SF_DATE.match(value), (name, key, value)
                elif kind == "boolean":
                    assert isinstance(value, bool), (name, key)
                elif kind in ("currency", "percent", "double", "int"):
                    assert isinstance(value, (int, float)) and not isinstance(value, bool), (name, key)
                elif kind == "reference":
                    target = described[key]["referenceTo"][0]
                    assert value[:3] == {**PREFIXES, "UserRole": "00E", "Profile": "00e"}[target], (key, value)
            assert record["SystemModstamp"] >= record["CreatedDate"]
    assert fields["Opportunity"][-2:] == [
        {"name": "Loss_Reason__c", "type": "picklist", "label": "Loss Reason", "custom": True},
        {"name": "Partner_Channel__c", "type": "picklist", "label": "Partner Channel", "custom": True},
    ]
    # Salesforce's documented example: 001D0 has D at position 3 → 8 → "I"; 00000 → "A"; IqhSL has I, S, L at
    # positions 0, 3, 4 → 1 + 8 + 16 = 25 → "Z"
    assert with_checksum("001D000000IqhSL") == "001D000000IqhSLIAZ"
    assert sf_id("Opportunity", 0) == "0065g0000000000AAA"


def test_salesforce_standard_stages(sf):
    stages = sf["OpportunityStage"]
    assert [s["MasterLabel"] for s in stages] == STANDARD_STAGES
    assert [s["SortOrder"] for s in stages] == list(range(1, 11))
    assert [s["DefaultProbability"] for s in stages] == [10, 10, 20, 50, 60, 70, 75, 90, 100, 0]
    assert [(s["IsClosed"], s["IsWon"]) for s in stages[7:]] == [(False, False), (True, True), (True, False)]
    assert [s["ForecastCategoryName"] for s in stages[7:]] == ["Pipeline", "Closed", "Omitted"]


def test_salesforce_history_replays_to_the_opportunity(sf):
    opportunities = {o["Id"]: o for o in sf["Opportunity"]}
    history = defaultdict(list)
    for row in sf["OpportunityHistory"]:
        history[row["OpportunityId"]].append(row)
    assert set(history) == set(opportunities)  # every row belongs to an opportunity, every one has rows
    moves = Counter()
    for opportunity_id, rows in history.items():
        opportunity = opportunities[opportunity_id]
        assert [r["CreatedDate"] for r in rows] == sorted(r["CreatedDate"] for r in rows)
        assert rows[0]["CreatedDate"] == opportunity["CreatedDate"] and rows[0]["PrevAmount"] is None
        last = rows[-1]
        assert (last["StageName"], last["Amount"], last["CloseDate"]) == (
            opportunity["StageName"], opportunity["Amount"], opportunity["CloseDate"])
        assert all(r["IsDeleted"] == opportunity["IsDeleted"] for r in rows)
        for before, after in pairwise(rows):
            assert after["PrevAmount"] == before["Amount"] and after["PrevCloseDate"] == before["CloseDate"]
            a, b = STANDARD_STAGES.index(before["StageName"]), STANDARD_STAGES.index(after["StageName"])
            if a == b:
                moves["amount only" if before["Amount"] != after["Amount"] else "close date only"] += 1
            elif a < 8 and b < 8:
                moves["backward" if b < a else "skip" if b > a + 1 else "forward"] += 1
            else:
                moves["reopened" if a >= 8 else "closed"] += 1
        if opportunity["StageName"] == "Closed Lost":
            assert opportunity["Loss_Reason__c"] in ("Price", "Lost to Competitor", "No Budget", "Timing",
                                                     "No Response", "Not a Fit", "Other")
        else:
            assert opportunity["Loss_Reason__c"] is None
    # 1,239 rows - 150 creations = 1,089 saves: 610 + 30 + 41 + 142 + 13 stage changes (836) and 253 saves that
    # changed the amount or the close date alone
    assert dict(moves) == {"forward": 610, "backward": 30, "skip": 41, "closed": 142, "reopened": 13,
                           "amount only": 139, "close date only": 114}


def test_salesforce_leads_and_conversions(sf):
    contacts = {c["Id"]: c for c in sf["Contact"]}
    opportunities = {o["Id"]: o for o in sf["Opportunity"]}
    accounts = {a["Id"] for a in sf["Account"]}
    converted = [lead for lead in sf["Lead"] if lead["IsConverted"]]
    for lead in converted:
        assert lead["Status"] == "Closed - Converted" and lead["ConvertedDate"] <= AS_OF.isoformat()
        contact = contacts[lead["ConvertedContactId"]]
        assert (contact["Email"], contact["AccountId"]) == (lead["Email"], lead["ConvertedAccountId"])
        assert lead["ConvertedAccountId"] in accounts
        if lead["ConvertedOpportunityId"]:
            opportunity = opportunities[lead["ConvertedOpportunityId"]]
            assert opportunity["CreatedDate"] == contact["CreatedDate"]  # created by the conversion
            assert opportunity["CreatedDate"][:10] == lead["ConvertedDate"]
    others = [lead for lead in sf["Lead"] if not lead["IsConverted"]]
    assert all(lead["ConvertedDate"] is None and lead["ConvertedContactId"] is None for lead in others)
    assert Counter(lead["Status"] for lead in sf["Lead"]) == {
        "Closed - Converted": 52, "Closed - Not Converted": 56, "Open - Not Contacted": 41, "Working - Contacted": 51}
    users = {u["Id"]: u for u in sf["User"]}
    assert [u["Title"] for u in users.values() if u["ManagerId"] is None] == ["Head of Sales"]
    assert all(u["ManagerId"] in users for u in users.values() if u["ManagerId"])


# --- Pipedrive ----------------------------------------------------------------------------------------
def test_pipedrive_shapes(pd):
    stage_ids = {s["id"]: s for s in pd["stages"]}
    for deal in pd["deals"]:
        assert deal["currency"] == "EUR" and deal["status"] in ("open", "won", "lost")
        assert isinstance(deal["value"], (int, float)) and deal["stage_id"] in stage_ids
        assert stage_ids[deal["stage_id"]]["pipeline_id"] == deal["pipeline_id"]
        for key in ("add_time", "update_time", "stage_change_time", "won_time", "lost_time", "close_time"):
            assert deal[key] is None or (RFC3339.match(deal[key]) and deal[key] <= HORIZON_PD), (key, deal[key])
        assert (deal["won_time"] is not None, deal["lost_time"] is not None) == (
            deal["status"] == "won", deal["status"] == "lost")
        assert (deal["lost_reason"] is not None) == (deal["status"] == "lost")
    assert [(s["pipeline_id"], s["order_nr"], s["name"], s["deal_probability"]) for s in pd["stages"]] == [
        (1, 1, "Qualified", 10), (1, 2, "Contact Made", 20), (1, 3, "Demo Scheduled", 40),
        (1, 4, "Proposal Made", 60), (1, 5, "Negotiations Started", 80),
        (2, 1, "Introduction", 20), (2, 2, "Evaluation", 50), (2, 3, "Contracting", 80)]
    person = pd["persons"][0]
    assert set(person) >= {"id", "name", "owner_id", "org_id", "emails", "phones", "add_time", "is_deleted"}
    assert person["emails"][0].keys() == {"value", "primary", "label"} and person["emails"][0]["primary"] is True
    users = {u["id"] for u in pd["users"]}
    assert all(V1_TIME.match(u["created"]) and u["active_flag"] in (True, False) for u in pd["users"])
    assert {d["owner_id"] for d in pd["deals"]} <= users
    assert {d["person_id"] for d in pd["deals"]} <= {p["id"] for p in pd["persons"]}
    assert {d["org_id"] for d in pd["deals"]} <= {o["id"] for o in pd["organizations"]}


def test_pipedrive_changelog_replays_to_the_deal(pd):
    deals = {d["id"]: d for d in pd["deals"]}
    order = {s["id"]: s["order_nr"] for s in pd["stages"]}
    by_deal = defaultdict(list)
    for item in pd["deal_changelog"]:
        assert V1_TIME.match(item["time"]) and item["deal_id"] in deals
        assert all(v is None or isinstance(v, str) for v in (item["old_value"], item["new_value"]))
        by_deal[item["deal_id"]].append(item)
    moves = Counter()
    for deal_id, items in by_deal.items():
        deal = deals[deal_id]
        assert [i["time"] for i in items] == sorted(i["time"] for i in items)
        stage_items = [i for i in items if i["field_key"] == "stage_id"]
        if stage_items:
            assert stage_items[-1]["new_value"] == str(deal["stage_id"])
            assert all(a["new_value"] == b["old_value"] for a, b in pairwise(stage_items))
        for item in stage_items:
            old, new = order[int(item["old_value"])], order[int(item["new_value"])]
            moves["backward" if new < old else "skip" if new > old + 1 else "forward"] += 1
        statuses = [i for i in items if i["field_key"] == "status"]
        assert (statuses[-1]["new_value"] if statuses else "open") == deal["status"]
        moves["reopened"] += sum(i["new_value"] == "open" for i in statuses)
    # 269 + 17 + 11 = 297 stage_id items; the 9 reopened deals' status items go back to "open"
    assert dict(moves) == {"forward": 269, "backward": 17, "skip": 11, "reopened": 9}


def test_custom_fields_appear_mid_history(sf, pd):
    opportunities = sf["Opportunity"]
    assert all(("Partner_Channel__c" in o) == (o["LastModifiedDate"][:10] >= FIELD_DAY) for o in opportunities)
    (field,) = [f for f in pd["deal_fields"] if f["edit_flag"]]
    assert re.fullmatch(r"[0-9a-f]{40}", field["key"]) and field["name"] == "Partner channel"
    assert field["add_time"].startswith(FIELD_DAY)
    assert all((field["key"] in d["custom_fields"]) == (d["update_time"][:10] >= FIELD_DAY) for d in pd["deals"])
    items = [i for i in pd["deal_changelog"] if i["field_key"] == field["key"]]
    assert items and all(i["time"][:10] >= FIELD_DAY for i in items)
    counts = (
        sum("Partner_Channel__c" in o for o in opportunities),
        sum(o.get("Partner_Channel__c") is not None for o in opportunities),
        sum(field["key"] in d["custom_fields"] for d in pd["deals"]),
        sum(d["custom_fields"].get(field["key"]) is not None for d in pd["deals"]),
        len(items),
    )
    # 112 of 150 opportunities last modified on or after the day (48 with a channel), 76 of 120 deals (26 with a
    # channel, each set by one changelog item)
    assert counts == (112, 48, 76, 26, 26)


def test_people_and_companies_overlap_the_other_sources(scale_1, sf, pd):
    out, _ = scale_1
    form_emails = set()
    for path in (out / "forms").rglob("*.jsonl"):
        form_emails.update(re.findall(r'"[^"@ ]+@[^"@ ]+\.[a-z]+"', path.read_text(encoding="utf-8")))
    form_emails = {e.strip('"').strip().lower() for e in form_emails}
    hubspot_domains = {c["properties"]["domain"] for c in jsonl(out / "crm" / "companies.jsonl")}
    sf_emails = {c["Email"] for c in sf["Contact"]} | {lead["Email"] for lead in sf["Lead"]}
    pd_emails = {p["emails"][0]["value"] for p in pd["persons"]}
    sf_domains = {a["Website"].removeprefix("www.") for a in sf["Account"]}
    pd_domains = {p["emails"][0]["value"].split("@")[1] for p in pd["persons"]}
    assert (len(sf_emails & form_emails), len(pd_emails & form_emails)) == (54, 21)
    with open(out / "spreadsheets" / "pipeline_export_en.csv", encoding="utf-8-sig", newline="") as f:
        export_names = {row["Account Name"] for row in csv.DictReader(f)}
    sf_names, pd_names = {a["Name"] for a in sf["Account"]}, {o["name"] for o in pd["organizations"]}
    # companies: by domain with HubSpot's companies, by English name with the English export's accounts
    assert (len(sf_domains & hubspot_domains), len(sf_names & export_names)) == (2, 2)
    assert (len(pd_domains & hubspot_domains), len(pd_names & export_names)) == (2, 2)
