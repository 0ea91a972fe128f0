"""Tests for the fxiaoke tenant the generator writes (fxiaoke/): counts, the records' shapes as the platform gives
them, the stage walks, identities shared with the forms, and the emulator serving the folder."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from emulators.fxiaoke import FxiaokeEmulator
from funnelhouse.generate import generate
from funnelhouse.generate.fxiaoke import STAGES

AS_OF = date(2026, 9, 30)
OBJECTS = ("LeadsObj", "AccountObj", "ContactObj", "NewOpportunityObj", "NewOpportunityStageChangeObj")
# seed 42, scale 1 (the demo's), pinned like test_generate's EXPECTED_COUNTS_SCALE_1
EXPECTED_COUNTS = {
    "fxiaoke_employees": 8,
    "fxiaoke_accounts": 60,
    "fxiaoke_contacts": 100,
    "fxiaoke_leads": 180,  # 100 (one per contact, 53 of them converted) + 80 leads of their own
    "fxiaoke_leads_converted": 53,
    "fxiaoke_leads_invalid": 4,
    "fxiaoke_opportunities": 120,
    "fxiaoke_opportunities_invalid": 4,  # 作废; 3 of them deleted from the recycle bin too
    "fxiaoke_opportunities_deleted": 3,
    "fxiaoke_stage_changes": 461,  # 120 creations + 341 moves
}
HEX24 = re.compile(r"^[0-9a-f]{24}$")
FSUID = re.compile(r"^FSUID_[0-9A-F]{32}$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def scale_1(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("fxiaoke")
    return out, generate(out, seed=42, scale=1.0, as_of=AS_OF)


@pytest.fixture(scope="module")
def fx(scale_1) -> dict[str, list[dict]]:
    out, _ = scale_1
    return {name: jsonl(out / "fxiaoke" / f"{name}.jsonl") for name in (*OBJECTS, "employees", "departments")}


def test_counts_and_manifest(scale_1, fx):
    out, counts = scale_1
    assert {k: v for k, v in counts.items() if k.startswith("fxiaoke_")} == EXPECTED_COUNTS
    manifest = {f["path"]: f["rows"] for f in json.loads((out / "manifest.json").read_text())["files"]}
    assert manifest["fxiaoke/NewOpportunityObj.jsonl"] == len(fx["NewOpportunityObj"]) == 120
    assert manifest["fxiaoke/NewOpportunityStageChangeObj.jsonl"] == counts["fxiaoke_stage_changes"]
    deals = fx["NewOpportunityObj"]
    assert Counter((d["life_status"], d["is_deleted"]) for d in deals) == {
        ("normal", False): 116, ("invalid", False): 1, ("invalid", True): 3}
    assert sum(lead["biz_status"] == "transformed" for lead in fx["LeadsObj"]) == 53


def test_records_are_shaped_as_the_platform_gives_them(fx):
    for name in OBJECTS:
        for record in fx[name]:
            assert HEX24.match(record["_id"]), record
            assert isinstance(record["create_time"], int) and isinstance(record["last_modified_time"], int)
            assert all(FSUID.match(user) for user in record["owner"]), record
            assert None not in record.values()  # null fields are left out, as with includeNull false
    employees = {e["openUserId"] for e in fx["employees"]}
    assert {d["owner"][0] for d in fx["NewOpportunityObj"]} <= employees
    deal = fx["NewOpportunityObj"][0]
    assert re.fullmatch(r"\d+\.00", deal["amount"]) and deal["sales_process_id__r"] == "默认销售流程"
    # a date field is 00:00 China time: 16:00 UTC the day before
    assert datetime.fromtimestamp(deal["close_date"] / 1000, UTC).strftime("%H:%M") == "16:00"
    amounts = sorted(float(d["amount"]) for d in fx["NewOpportunityObj"])
    assert (amounts[0], amounts[60], amounts[-1]) == (39_200.0, 189_000.0, 705_000.0)  # CNY, the 万 range
    assert all(re.search(r"[\u4e00-\u9fff]", d["name"]) for d in fx["NewOpportunityObj"])
    assert {e["name"] for e in fx["employees"]} and all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", e["name"])
                                                        for e in fx["employees"])
    assert [(d["id"], d["name"], d["parentId"]) for d in fx["departments"]] == [
        (1000, "销售中心", 999999), (1001, "华东大区", 1000)]


def test_stage_walks_with_backward_moves_skips_reopens(fx):
    values = [value for value, _, _ in STAGES]
    by_deal: dict[str, list[dict]] = {}
    for change in fx["NewOpportunityStageChangeObj"]:
        by_deal.setdefault(change["new_opportunity_id"], []).append(change)
    deals = {d["_id"]: d for d in fx["NewOpportunityObj"]}
    assert set(by_deal) == set(deals)
    moves = Counter()
    for deal_id, changes in by_deal.items():
        assert "before_stage" not in changes[0]
        assert [c["before_stage"] for c in changes[1:]] == [c["after_stage"] for c in changes[:-1]]
        assert changes[-1]["after_stage"] == deals[deal_id]["sales_stage"]
        assert [c["change_time"] for c in changes] == sorted(c["change_time"] for c in changes)
        for change in changes[1:]:
            before, after = values.index(change["before_stage"]), values.index(change["after_stage"])
            if before >= 4:
                moves["reopen"] += 1
            elif after < 4 and after < before:
                moves["backward"] += 1
            elif after < 4 and after > before + 1:
                moves["skip"] += 1
    assert moves == {"skip": 16, "reopen": 7, "backward": 5}
    lost = [d for d in deals.values() if d["sales_stage"] == "6"]
    assert len(lost) == 63 and all(re.search(r"[\u4e00-\u9fff]", d["lost_reason"]) for d in lost)
    assert all("lost_reason" not in d for d in deals.values() if d["sales_stage"] != "6")


def test_describe_lists_the_stage_options_and_the_added_field(scale_1, fx):
    out, _ = scale_1
    describe = json.loads((out / "fxiaoke" / "describe" / "NewOpportunityObj.json").read_text(encoding="utf-8"))
    stage = describe["fields"]["sales_stage"]
    assert [(o["value"], o["label"]) for o in stage["options"]] == [
        ("1", "验证客户"), ("2", "需求确定"), ("3", "方案/报价"), ("4", "谈判审核"), ("5", "赢单"), ("6", "输单")]
    assert describe["fields"]["field_hzqd1__c"]["define_type"] == "custom"
    # the custom field (合作渠道) exists from 2026-01-27 on: only records changed since then carry it
    with_field = [d for d in fx["NewOpportunityObj"] if "field_hzqd1__c" in d]
    assert len(with_field) == 28
    assert min(d["last_modified_time"] for d in with_field) >= datetime(2026, 1, 27, tzinfo=UTC).timestamp() * 1000


def test_people_and_companies_overlap_the_forms(scale_1, fx):
    out, _ = scale_1
    forms = " ".join(p.read_text(encoding="utf-8") for p in sorted((out / "forms").rglob("*.jsonl")))
    emails = set(EMAIL.findall(forms))
    assert sum(c["email"] in emails for c in fx["ContactObj"]) == 22
    assert sum(lead["email"] in emails for lead in fx["LeadsObj"]) == 38
    assert sum(a["name"] in forms for a in fx["AccountObj"]) == 14


def test_the_emulator_serves_the_generated_folder(scale_1, fx):
    out, _ = scale_1
    credentials = {"appId": "FSAID_emulator", "appSecret": "emulator-app-secret",
                   "permanentCode": "emulator-permanent-code"}
    with FxiaokeEmulator(out / "fxiaoke").start() as emulator, httpx.Client(base_url=emulator.base_url) as http:
        token = http.post("/cgi/corpAccessToken/get/V2", json=credentials).json()["corpAccessToken"]
        user = fx["employees"][0]["openUserId"]

        def query(filters: list[dict], offset: int) -> dict:
            body = {"corpAccessToken": token, "corpId": emulator.corp_id, "currentOpenUserId": user,
                    "data": {"dataObjectApiName": "NewOpportunityObj", "search_query_info": {
                        "limit": 100, "offset": offset, "filters": filters,
                        "orders": [{"fieldName": "last_modified_time", "isAsc": True}]}}}
            return http.post("/cgi/crm/v2/data/query", json=body).json()["data"]

        first, second = query([], 0), query([], 100)
        assert (len(first["dataList"]), len(second["dataList"]), first["total"]) == (100, 17, 117)  # 120 - 3 deleted
        since = sorted(d["last_modified_time"] for d in fx["NewOpportunityObj"])[-11]
        changed = query([{"field_name": "last_modified_time", "field_values": [str(since)], "operator": "GT"}], 0)
        # an incremental read: the 10 deals changed after the 11th newest change (none of them deleted), 1 request
        assert len(changed["dataList"]) == 10
        assert emulator.stats()["paths"]["/cgi/crm/v2/data/query"] == {"200": 3}
