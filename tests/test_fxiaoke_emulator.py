"""Tests of the fxiaoke emulator (emulators/fxiaoke) on a small hand-written seed in the format of
emulators/fxiaoke/README.md, written to a temporary folder.

The seed: 6 商机 (NewOpportunityObj) O1-O6 modified at T+1 s .. T+6 s (T = 2026-03-01T00:00:00Z in epoch ms);
O5 is invalid (作废, life_status "invalid", not deleted), O6 invalid and deleted (is_deleted true). A query without an
is_deleted filter sees O1-O5 (5 records). 3 stage changes of O1; 3 employees in 3 departments (1000 总部 > 1001
华东销售部 > 1002 上海组); the describe of NewOpportunityObj with 6 sales stages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from emulators.fxiaoke import FxiaokeEmulator

T = 1772323200000  # 2026-03-01T00:00:00Z
CREDENTIALS = {"appId": "FSAID_emulator", "appSecret": "emulator-app-secret",
               "permanentCode": "emulator-permanent-code"}
BOSS, SALES, GONE = "FSUID_0001", "FSUID_0002", "FSUID_0003"
STAGES = [("1", "验证客户"), ("2", "需求确定"), ("3", "方案/报价"), ("4", "谈判审核"), ("5", "赢单"), ("6", "输单")]


def _deal(number: int, stage: str, **extra) -> dict:
    return {"_id": f"O{number}", "name": f"商机{number}", "amount": f"{number * 10}0000.00", "sales_stage": stage,
            "owner": [SALES], "life_status": "normal", "is_deleted": False, "create_time": T,
            "last_modified_time": T + number * 1000, **extra}


DEALS = [_deal(1, "3"), _deal(2, "1"), _deal(3, "5"), _deal(4, "6", lost_reason="价格太高"),
         _deal(5, "2", life_status="invalid"), _deal(6, "2", life_status="invalid", is_deleted=True)]
CHANGES = [{"_id": f"C{n}", "new_opportunity_id": "O1", "after_stage": after, "change_time": T + n,
            "life_status": "normal", "is_deleted": False, "last_modified_time": T + n,
            **({"before_stage": before} if before else {})}
           for n, (before, after) in enumerate([(None, "1"), ("1", "3"), ("3", "2")], start=1)]
EMPLOYEES = [{"openUserId": BOSS, "name": "张伟", "isStop": False, "departmentIds": [1000], "mainDepartmentId": 1000},
             {"openUserId": SALES, "name": "李娜", "isStop": False, "departmentIds": [1002], "mainDepartmentId": 1002},
             {"openUserId": GONE, "name": "王芳", "isStop": True, "departmentIds": [1001], "mainDepartmentId": 1001}]
DEPARTMENTS = [{"id": 1000, "name": "总部", "parentId": 999999, "isStop": False, "order": 1},
               {"id": 1001, "name": "华东销售部", "parentId": 1000, "isStop": False, "order": 2},
               {"id": 1002, "name": "上海组", "parentId": 1001, "isStop": False, "order": 3}]
DESCRIBE = {"api_name": "NewOpportunityObj", "display_name": "商机", "fields": {
    "name": {"api_name": "name", "label": "商机名称", "type": "text"},
    "sales_stage": {"api_name": "sales_stage", "label": "阶段", "type": "select_one",
                    "options": [{"label": label, "value": value} for value, label in STAGES]}}}


def _write_seed(folder: Path) -> Path:
    for name, rows in (("NewOpportunityObj", DEALS), ("NewOpportunityStageChangeObj", CHANGES),
                       ("employees", EMPLOYEES), ("departments", DEPARTMENTS)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                              encoding="utf-8")
    (folder / "describe").mkdir()
    (folder / "describe" / "NewOpportunityObj.json").write_text(json.dumps(DESCRIBE, ensure_ascii=False),
                                                                encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    return _write_seed(tmp_path_factory.mktemp("fxiaoke"))


class Client:
    """Posts as a fxiaoke client does: the token, corpId and currentOpenUserId in every body."""

    def __init__(self, emulator: FxiaokeEmulator):
        self.emulator = emulator
        self.http = httpx.Client(base_url=emulator.base_url, timeout=10)
        self.token = self.get_token().json()["corpAccessToken"]

    def get_token(self, **override) -> httpx.Response:
        return self.http.post("/cgi/corpAccessToken/get/V2", json={**CREDENTIALS, **override})

    def post(self, path: str, user: str | None = BOSS, **body) -> dict:
        payload = {"corpAccessToken": self.token, "corpId": self.emulator.corp_id, **body}
        if user is not None:
            payload["currentOpenUserId"] = user
        response = self.http.post(path, json=payload)
        assert response.status_code == 200, response.text
        return response.json()

    def query(self, api_name: str = "NewOpportunityObj", **info) -> dict:
        info = {"limit": 100, "offset": 0, "filters": [], "orders": [], **info}
        return self.post("/cgi/crm/v2/data/query", data={"dataObjectApiName": api_name, "search_query_info": info})


@pytest.fixture(scope="module")
def shared(seed):
    with FxiaokeEmulator(seed).start() as emulator:
        client = Client(emulator)
        yield client
        client.http.close()


@pytest.fixture()
def fresh(seed, request):
    """An emulator of its own (for faults and edits); `@pytest.mark.parametrize("fresh", [{...}], indirect=True)`
    passes options."""
    with FxiaokeEmulator(seed, **getattr(request, "param", {})).start() as emulator:
        client = Client(emulator)
        yield client
        client.http.close()


def _ids(answer: dict) -> list[str]:
    assert answer["errorCode"] == 0, answer
    return [r["_id"] for r in answer["data"]["dataList"]]


def test_token_is_issued_once_and_wrong_credentials_answer_their_codes(shared):
    again = shared.get_token().json()
    assert again == {"errorCode": 0, "errorMessage": "success", "corpAccessToken": shared.token,
                     "corpId": "FSCID_emulator", "expiresIn": 7200}  # the same token within its life
    wrong_secret = shared.get_token(appSecret="nope")
    assert wrong_secret.status_code == 200
    assert {k: wrong_secret.json()[k] for k in ("errorCode", "errorMessage", "errorDescription")} == {
        "errorCode": 10006, "errorMessage": "the parameter appSecret is missing or illegal",
        "errorDescription": "缺少参数或参数不合法"}
    assert shared.get_token(permanentCode="nope").json()["errorCode"] == 20015


def test_missing_unknown_and_expired_tokens_answer_http_200_with_their_codes(fresh):
    no_token = fresh.http.post("/cgi/crm/v2/data/query", json={"corpId": "FSCID_emulator", "data": {}})
    assert no_token.status_code == 200
    assert (no_token.json()["errorCode"], no_token.json()["errorMessage"]) == (20017, "corpAccessToken为必填项，不能为空")
    old = fresh.token
    fresh.token = "FORGED"
    assert fresh.query()["errorCode"] == 20016
    fresh.token = old
    assert len(_ids(fresh.query())) == 5
    fresh.emulator.set_faults(expired_token=True)
    expired = fresh.query()
    assert (expired["errorCode"], expired["errorMessage"]) == (
        20016, "the cropId,cropAccessToken or authorization is error")
    renewed = fresh.get_token().json()["corpAccessToken"]
    assert renewed != old  # a new token once the old one expired, and it works
    fresh.token = renewed
    assert len(_ids(fresh.query())) == 5
    assert fresh.post("/cgi/crm/v2/data/query", corpId="FSCID_other", data={})["errorCode"] == 20016
    assert fresh.post("/cgi/crm/v2/data/query", user=None, data={})["errorCode"] == 10010
    assert fresh.post("/cgi/crm/v2/data/query", user="FSUID_nobody", data={})["errorCode"] == 20012


def test_offset_paging_in_the_post_body(shared):
    shared.emulator.reset_stats()
    pages, offset = [], 0
    while True:
        ids = _ids(shared.query(limit=2, offset=offset))
        pages.append(ids)
        if len(ids) < 2:
            break
        offset += 2
    # 5 live records (O6 is deleted), 2 a page: 2 + 2 + 1 in 3 requests
    assert pages == [["O1", "O2"], ["O3", "O4"], ["O5"]]
    assert shared.emulator.stats()["paths"] == {"/cgi/crm/v2/data/query": {"200": 3}}
    answer = shared.query(limit=2, offset=2)
    assert {k: answer["data"][k] for k in ("offset", "limit", "total")} == {"offset": 2, "limit": 2, "total": 5}


def test_paging_limits_answer_parameter_errors(shared):
    assert shared.query(limit=101)["errorCode"] == 32000
    assert shared.query(limit=2, offset=3)["errorCode"] == 32000  # offset must be a multiple of limit
    past = shared.query(limit=100, offset=10100)
    assert (past["errorCode"], past["errorMessage"], past["errorDescription"]) == (
        10013, "offset out of range 10000", "offset 不能超过10000")
    assert shared.query("NoSuchObj")["errorCode"] == 32000


def test_last_modified_time_filter_and_orders(shared):
    since = [{"field_name": "last_modified_time", "field_values": [str(T + 3000)], "operator": "GT"}]
    assert _ids(shared.query(filters=since)) == ["O4", "O5"]  # O6 (T+6 s) is deleted
    newest_first = _ids(shared.query(orders=[{"fieldName": "last_modified_time", "isAsc": False}]))
    assert newest_first == ["O5", "O4", "O3", "O2", "O1"]
    stage_in = [{"field_name": "sales_stage", "field_values": ["5", "6"], "operator": "IN"}]
    assert _ids(shared.query(filters=stage_in)) == ["O3", "O4"]
    owner = [{"field_name": "owner", "field_values": [SALES], "operator": "IN"}]
    assert len(_ids(shared.query(filters=owner))) == 5
    projected = shared.query(filters=stage_in, fieldProjection=["_id", "lost_reason"])["data"]["dataList"]
    assert projected == [{"_id": "O3"}, {"_id": "O4", "lost_reason": "价格太高"}]


def test_invalid_and_deleted_records(shared):
    live = shared.query()["data"]["dataList"]
    assert {r["_id"]: r["life_status"] for r in live if r["life_status"] != "normal"} == {"O5": "invalid"}
    deleted = [{"field_name": "is_deleted", "field_values": ["true"], "operator": "EQ"}]
    assert _ids(shared.query(filters=deleted)) == ["O6"]
    invalid = [{"field_name": "life_status", "field_values": ["invalid"], "operator": "EQ"}]
    assert _ids(shared.query(filters=invalid)) == ["O5"]


def test_stage_changes_are_an_object_of_their_own(shared):
    changes = shared.query("NewOpportunityStageChangeObj")["data"]["dataList"]
    assert [(c.get("before_stage"), c["after_stage"]) for c in changes] == [(None, "1"), ("1", "3"), ("3", "2")]


def test_describe_gives_the_stage_options(shared):
    answer = shared.post("/cgi/crm/v2/object/describe", apiName="NewOpportunityObj", includeDetail=True)
    assert answer["errorCode"] == 0
    stage = answer["data"]["describe"]["fields"]["sales_stage"]
    assert stage["type"] == "select_one"
    assert [(o["value"], o["label"]) for o in stage["options"]] == STAGES
    assert shared.post("/cgi/crm/v2/object/describe", apiName="NoSuchObj")["errorCode"] == 32000


def test_address_book(shared):
    everyone = shared.post("/cgi/user/list", user=None, departmentId=999999, fetchChild=True)
    assert [(u["openUserId"], u["name"]) for u in everyone["userList"]] == [
        (BOSS, "张伟"), (SALES, "李娜"), (GONE, "王芳")]
    # 1001 without children: 王芳 only; with children (1002 上海组): 李娜 too
    assert [u["name"] for u in shared.post("/cgi/user/list", departmentId=1001)["userList"]] == ["王芳"]
    assert [u["name"] for u in shared.post("/cgi/user/list", departmentId=1001, fetchChild=True)["userList"]] == [
        "李娜", "王芳"]
    assert shared.post("/cgi/user/list", departmentId="x")["errorCode"] == 11009
    departments = shared.post("/cgi/department/list")["departments"]
    assert [(d["id"], d["name"]) for d in departments] == [(1000, "总部"), (1001, "华东销售部"), (1002, "上海组")]


@pytest.mark.parametrize("fresh", [{"route_limit": 3}], indirect=True)
def test_frequency_limit_per_route(fresh):
    # route_limit=3: the 4th query within 20 s answers 30004 (HTTP 200); describe has its own window
    codes = [fresh.query(limit=1)["errorCode"] for _ in range(4)]
    assert codes == [0, 0, 0, 30004]
    assert fresh.post("/cgi/crm/v2/object/describe", apiName="NewOpportunityObj")["errorCode"] == 0


def test_faults_burst_server_errors_and_added_field(fresh):
    fresh.emulator.set_faults(rate_limit_burst=1)
    burst = fresh.query()
    assert (burst["errorCode"], burst["errorMessage"]) == (30004, "秒频次超限")
    fresh.emulator.set_faults(rate_limit_burst=1, rate_limit_policy="daily")
    assert fresh.query()["errorCode"] == 30002
    fresh.emulator.set_faults(server_errors=1)
    failed = fresh.http.post("/cgi/crm/v2/data/query", json={})
    assert (failed.status_code, failed.json()["errorCode"]) == (500, -2)
    fresh.emulator.set_faults(extra_field={"name": "field_channel__c", "value": "展会"})
    assert {r["field_channel__c"] for r in fresh.query()["data"]["dataList"]} == {"展会"}
    fields = fresh.post("/cgi/crm/v2/object/describe", apiName="NewOpportunityObj")["data"]["describe"]["fields"]
    assert fields["field_channel__c"]["type"] == "text"


def test_an_edit_bumps_last_modified_time_and_records_the_stage_change(fresh):
    changed = fresh.emulator.save_record("NewOpportunityObj", {"_id": "O2", "sales_stage": "2"})
    assert changed["last_modified_time"] == T + 7000  # one second past the newest (O6, T+6 s)
    since = [{"field_name": "last_modified_time", "field_values": [str(T + 6000)], "operator": "GT"}]
    assert _ids(fresh.query(filters=since)) == ["O2"]
    newest = fresh.query("NewOpportunityStageChangeObj", filters=since)["data"]["dataList"]
    assert [(c["new_opportunity_id"], c["before_stage"], c["after_stage"]) for c in newest] == [("O2", "1", "2")]


def test_python_m_serves_the_seed(seed):
    process = subprocess.Popen([sys.executable, "-m", "emulators.fxiaoke", str(seed), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = process.stdout.readline().strip()
        token = httpx.post(base_url + "/cgi/corpAccessToken/get/V2", json=CREDENTIALS, timeout=10).json()
        assert token["errorCode"] == 0 and token["corpId"] == "FSCID_emulator"
    finally:
        process.terminate()
        process.wait(timeout=10)
