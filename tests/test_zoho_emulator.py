"""Tests of the Zoho CRM v8 emulator (emulators/zoho) on a seed written here, counted by hand:

- Deals: 2,150 deals, ids Z+1 .. Z+2150 (Z = 4876876004000000000), deal n modified n minutes after
  2026-03-01T00:00:00-06:00, Stage "Qualification" / "Needs Analysis" / "Closed Won" by n % 3, Amount 100 n.
- Leads: LEAD+1 open, LEAD+2 converted, LEAD+3 open (LEAD = 4876876003000000000). Accounts, Contacts: no file (empty modules).
- Stage_History of deal Z+1: three rows (h1 Qualification 03-01 08:00, h2 Needs Analysis 03-04 09:00, h3 Closed Won
  03-10 10:00, all -06:00). Deleted: deal Z+3000 (recycle, 09-01), deal Z+3001 (permanent, 05-01), lead LEAD+9 (recycle, 09-02 10:00 -05:00).
- Users: Ann (active, Administrator), Bob (disabled).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from emulators.zoho import ZohoEmulator
from support.emulator_cli import emulator_process

Z = 4876876004000000000
LEAD = 4876876003000000000
CST = timezone(timedelta(hours=-6))
START = datetime(2026, 3, 1, tzinfo=CST)
STAGES = ("Qualification", "Needs Analysis", "Closed Won")
CREDENTIALS = {"grant_type": "refresh_token", "client_id": "emulator-client-id",
               "client_secret": "emulator-client-secret", "refresh_token": "emulator-refresh-token"}
AUTH = {"Authorization": "Zoho-oauthtoken emulator-token"}
ANN = {"name": "Ann Lee", "id": "4876876000000235000"}


def _write(folder: Path, name: str, rows: list[dict]) -> None:
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _deal(n: int) -> dict:
    moment = (START + timedelta(minutes=n)).isoformat()
    return {"id": str(Z + n), "Deal_Name": f"Deal {n}", "Stage": STAGES[n % 3], "Amount": 100 * n,
            "Owner": ANN, "Account_Name": {"name": f"Account {n % 5}", "id": str(4876876001000000000 + n % 5)},
            "Created_Time": moment, "Modified_Time": moment}


def _history(n: int, stage: str, when: str) -> dict:
    return {"id": f"48768760050000000{n:02d}", "deal_id": str(Z + 1), "Stage": stage, "Amount": 100,
            "Probability": 10, "Modified_Time": when, "Modified_By": ANN}


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("zoho")
    _write(folder, "Deals.jsonl", [_deal(n) for n in range(1, 2151)])
    lead = {"Last_Name": "X", "Owner": ANN, "Created_Time": "2026-02-01T09:00:00-06:00",
            "Modified_Time": "2026-02-01T09:00:00-06:00", "$converted_detail": {}}
    _write(folder, "Leads.jsonl", [
        {**lead, "id": str(LEAD + 1), "$converted": False},
        {**lead, "id": str(LEAD + 2), "$converted": True, "$converted_detail": {"converted_time": "2026-02-02T10:00:00-06:00"}},
        {**lead, "id": str(LEAD + 3), "$converted": False},
    ])
    _write(folder, "Stage_History.jsonl", [
        _history(1, "Qualification", "2026-03-01T08:00:00-06:00"),
        _history(2, "Needs Analysis", "2026-03-04T09:00:00-06:00"),
        _history(3, "Closed Won", "2026-03-10T10:00:00-05:00"),
    ])
    gone = {"deleted_by": ANN, "created_by": ANN, "display_name": "Gone"}
    _write(folder, "deleted.jsonl", [
        {**gone, "module": "Deals", "id": str(Z + 3000), "type": "recycle", "deleted_time": "2026-09-01T10:00:00-05:00"},
        {**gone, "module": "Deals", "id": str(Z + 3001), "type": "permanent", "deleted_time": "2026-05-01T10:00:00-05:00"},
        {**gone, "module": "Leads", "id": str(LEAD + 9), "type": "recycle", "deleted_time": "2026-09-02T10:00:00-05:00"},
    ])
    _write(folder, "users.jsonl", [
        {"id": ANN["id"], "full_name": "Ann Lee", "email": "ann@x.test", "status": "active",
         "profile": {"name": "Administrator", "id": "1"}},
        {"id": "4876876000000235001", "full_name": "Bob Roe", "email": "bob@x.test", "status": "disabled",
         "profile": {"name": "Standard", "id": "2"}},
    ])
    (folder / "layouts.json").write_text(json.dumps({"layouts": [{"id": "91000", "name": "Standard"}]}))
    (folder / "pipelines.json").write_text(json.dumps({"pipeline": [{"id": "92000", "display_value": "Standard",
                                                                     "maps": []}]}))
    return folder


@pytest.fixture(scope="module")
def shared(seed):
    with ZohoEmulator(seed).start() as emulator, httpx.Client(base_url=emulator.base_url, headers=AUTH,
                                                                timeout=10) as client:
        yield emulator, client


@pytest.fixture()
def fresh(seed):
    with ZohoEmulator(seed).start() as emulator, httpx.Client(base_url=emulator.base_url, headers=AUTH,
                                                                timeout=10) as client:
        yield emulator, client


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [int(r["id"]) - Z for r in response.json()["data"]]


# ------------------------------------------------------------------ Get Records: page, then page_token
def test_page_then_page_token_past_2000_records(fresh):
    emulator, client = fresh
    seen, info = [], None
    for page in range(1, 11):  # 10 pages of 200: the first 2,000 records by page
        response = client.get("/crm/v8/Deals", params={"fields": "Deal_Name,Stage", "per_page": 200, "page": page})
        seen += _ids(response)
        info = response.json()["info"]
        assert (info["page"], info["count"], info["more_records"]) == (page, 200, True)
    assert seen[:2] == [2150, 2149] and seen[-1] == 151  # sort_by id, sort_order desc by default
    assert (info["sort_by"], info["sort_order"], info["per_page"]) == ("id", "desc", 200)
    refused = client.get("/crm/v8/Deals", params={"fields": "Stage", "per_page": 200, "page": 11})
    assert refused.status_code == 400
    assert refused.json() == {"code": "DISCRETE_PAGINATION_LIMIT_EXCEEDED", "details": {"limit": 2000},
                              "message": "you can only get the first 2000 records without using page_token param",
                              "status": "error"}
    last = client.get("/crm/v8/Deals", params={"fields": "Stage", "per_page": 200,
                                               "page_token": info["next_page_token"]})
    seen += _ids(last)
    assert last.json()["info"]["count"] == 150 and last.json()["info"]["more_records"] is False  # 2,150 - 2,000
    assert last.json()["info"]["next_page_token"] is None and last.json()["info"]["page"] == 11
    assert sorted(seen) == list(range(1, 2151))
    # 11 answers with records and the one refusal, each counted once
    assert emulator.stats()["routes"]["/crm/v8/{module}"] == {"200": 11, "400": 1}
    assert last.json()["data"][0] == {"Stage": STAGES[150 % 3], "id": str(Z + 150)}


def test_page_token_walk_from_the_first_page(shared):
    _, client = shared
    params, pages, total = {"fields": "Stage", "per_page": 200, "sort_by": "Modified_Time", "sort_order": "asc"}, 0, []
    token = None
    while True:
        response = client.get("/crm/v8/Deals", params={**params, **({"page_token": token} if token else {})})
        total += _ids(response)
        pages += 1
        token = response.json()["info"]["next_page_token"]
        if not response.json()["info"]["more_records"]:
            break
    assert pages == 11 and total == list(range(1, 2151))  # ceil(2150 / 200) requests, oldest first
    both = client.get("/crm/v8/Deals", params={"fields": "Stage", "page": 2, "page_token": "x"})
    assert both.status_code == 400 and both.json()["code"] == "AMBIGUITY_DURING_PROCESSING"
    bad = client.get("/crm/v8/Deals", params={"fields": "Stage", "page_token": "not-a-token"})
    assert bad.status_code == 400 and bad.json()["details"] == {"param_name": "page_token"}


def test_fields_required_and_limits(shared):
    _, client = shared
    missing = client.get("/crm/v8/Deals")
    assert missing.status_code == 400
    assert missing.json() == {"code": "REQUIRED_PARAM_MISSING", "details": {"param_name": "fields"},
                              "message": "One of the expected parameter is missing", "status": "error"}
    too_many = client.get("/crm/v8/Deals", params={"fields": ",".join(f"F{i}" for i in range(51))})
    assert too_many.status_code == 400 and too_many.json()["code"] == "LIMIT_EXCEEDED"
    big = client.get("/crm/v8/Deals", params={"fields": "Stage", "per_page": 201})
    assert big.status_code == 400 and big.json()["details"]["param_name"] == "per_page"
    module = client.get("/crm/v8/Potentials", params={"fields": "Stage"})
    assert module.status_code == 400 and module.json()["code"] == "INVALID_MODULE"
    assert client.get("/crm/v8/Accounts", params={"fields": "Account_Name"}).status_code == 204  # no records


def test_if_modified_since(shared):
    _, client = shared
    since = (START + timedelta(minutes=2100)).isoformat()  # deals 2100..2150: 51
    response = client.get("/crm/v8/Deals", params={"fields": "Stage"}, headers={"If-Modified-Since": since})
    assert _ids(response) == list(range(2150, 2099, -1))
    http_date = {"If-Modified-Since": "Mon, 02 Mar 2026 16:50:00 GMT"}  # 10:50 -06:00 = minute 2,090: 61 deals
    assert len(_ids(client.get("/crm/v8/Deals", params={"fields": "Stage"}, headers=http_date))) == 61
    later = client.get("/crm/v8/Deals", params={"fields": "Stage"},
                       headers={"If-Modified-Since": "2026-04-01T00:00:00+00:00"})
    assert (later.status_code, later.content) == (304, b"")


def test_leads_hide_converted_by_default(shared):
    _, client = shared
    assert [r["id"] for r in client.get("/crm/v8/Leads", params={"fields": "Last_Name"}).json()["data"]] == [
        str(LEAD + 3), str(LEAD + 1)]
    converted = client.get("/crm/v8/Leads", params={"fields": "Last_Name", "converted": "true"}).json()["data"]
    assert converted == [{"$converted": True, "$converted_detail": {"converted_time": "2026-02-02T10:00:00-06:00"},
                          "Last_Name": "X", "id": str(LEAD + 2)}]
    assert len(client.get("/crm/v8/Leads", params={"fields": "Last_Name", "converted": "both"}).json()["data"]) == 3


# ------------------------------------------------------------------ related list, deleted, settings, users
def test_stage_history_related_list(shared):
    _, client = shared
    response = client.get(f"/crm/v8/Deals/{Z + 1}/Stage_History", params={"fields": "Stage,Modified_Time"})
    assert response.json() == {"data": [
        {"Stage": "Closed Won", "Modified_Time": "2026-03-10T10:00:00-05:00", "id": "4876876005000000003"},
        {"Stage": "Needs Analysis", "Modified_Time": "2026-03-04T09:00:00-06:00", "id": "4876876005000000002"},
        {"Stage": "Qualification", "Modified_Time": "2026-03-01T08:00:00-06:00", "id": "4876876005000000001"},
    ], "info": {"per_page": 200, "count": 3, "page": 1, "more_records": False}}
    paged = client.get(f"/crm/v8/Deals/{Z + 1}/Stage_History", params={"fields": "Stage", "per_page": 2, "page": 2})
    assert paged.json()["data"] == [{"Stage": "Qualification", "id": "4876876005000000001"}]
    assert client.get(f"/crm/v8/Deals/{Z + 2}/Stage_History", params={"fields": "Stage"}).status_code == 204
    assert client.get(f"/crm/v8/Deals/{Z + 1}/Stage_History").json()["code"] == "REQUIRED_PARAM_MISSING"
    unknown = client.get(f"/crm/v8/Deals/{Z + 9999}/Stage_History", params={"fields": "Stage"})
    assert unknown.status_code == 400 and unknown.json()["details"] == {"id": str(Z + 9999)}


def test_deleted_records(shared):
    _, client = shared
    every = client.get("/crm/v8/Deals/deleted", params={"type": "all"}).json()
    assert [r["id"] for r in every["data"]] == [str(Z + 3000), str(Z + 3001)]  # newest deleted_time first
    assert every["info"] == {"per_page": 200, "count": 2, "page": 1, "more_records": False}
    recycle = client.get("/crm/v8/Deals/deleted", params={"type": "recycle"}).json()["data"]
    assert recycle == [{"deleted_by": ANN, "created_by": ANN, "display_name": "Gone", "id": str(Z + 3000),
                        "type": "recycle", "deleted_time": "2026-09-01T10:00:00-05:00"}]
    assert [r["id"] for r in client.get("/crm/v8/Leads/deleted").json()["data"]] == [str(LEAD + 9)]
    since = client.get("/crm/v8/Deals/deleted", headers={"If-Modified-Since": "2026-08-01T00:00:00Z"})
    assert [r["id"] for r in since.json()["data"]] == [str(Z + 3000)]
    assert client.get("/crm/v8/Contacts/deleted").status_code == 204


def test_settings_and_users(shared):
    _, client = shared
    assert client.get("/crm/v8/settings/pipeline", params={"layout_id": "91000"}).json()["pipeline"][0]["id"] == "92000"
    missing = client.get("/crm/v8/settings/pipeline")
    assert missing.json() == {"code": "REQUIRED_PARAM_MISSING", "details": {"param_name": "layout_id"},
                              "message": "One of the expected parameter is missing", "status": "error"}
    assert client.get("/crm/v8/settings/pipeline", params={"layout_id": "1"}).json()["code"] == "INVALID_DATA"
    assert client.get("/crm/v8/settings/layouts", params={"module": "Deals"}).json()["layouts"][0]["id"] == "91000"
    users = client.get("/crm/v8/users", params={"type": "AllUsers"}).json()
    assert [u["full_name"] for u in users["users"]] == ["Ann Lee", "Bob Roe"] and users["info"]["count"] == 2
    active = client.get("/crm/v8/users", params={"type": "ActiveUsers"}).json()["users"]
    assert [u["full_name"] for u in active] == ["Ann Lee"]


# ------------------------------------------------------------------ COQL
def test_coql(shared):
    _, client = shared
    query = ("select Deal_Name, Stage, Owner, Account_Name.Account_Name from Deals where Modified_Time >= "
             f"'{(START + timedelta(minutes=2140)).isoformat()}' and Stage = 'Closed Won' order by id asc limit 0, 3")
    response = client.post("/crm/v8/coql", json={"select_query": query})
    # deals 2140..2150 with n % 3 == 2: 2141, 2144, 2147, 2150; the first three
    assert response.json() == {"data": [
        {"Deal_Name": f"Deal {n}", "Stage": "Closed Won", "Owner": {"id": ANN["id"]},
         "Account_Name.Account_Name": f"Account {n % 5}", "id": str(Z + n)} for n in (2141, 2144, 2147)
    ], "info": {"count": 3, "more_records": True}}
    rest = client.post("/crm/v8/coql", json={"select_query": query.replace("limit 0, 3", "limit 3 offset 3")})
    assert [int(r["id"]) - Z for r in rest.json()["data"]] == [2150]
    assert rest.json()["info"] == {"count": 1, "more_records": False}
    everything = client.post("/crm/v8/coql", json={"select_query": "select id from Deals where id > 0 limit 2000"})
    assert everything.json()["info"] == {"count": 2000, "more_records": True}
    in_list = client.post("/crm/v8/coql", json={"select_query": f"select Stage from Deals where id in ('{Z + 5}', "
                                                                f"'{Z + 7}') or (Amount between 100 and 200)"})
    assert sorted(int(r["id"]) - Z for r in in_list.json()["data"]) == [1, 2, 5, 7]
    assert client.post("/crm/v8/coql", json={"select_query": "select id from Deals where id = '0'"}).status_code == 204
    over = client.post("/crm/v8/coql", json={"select_query": "select id from Deals limit 2001"})
    assert over.status_code == 400 and over.json()["code"] == "LIMIT_EXCEEDED"
    broken = client.post("/crm/v8/coql", json={"select_query": "select from Deals"})
    assert broken.status_code == 400 and broken.json()["code"] == "SYNTAX_ERROR"


# ------------------------------------------------------------------ auth, faults, limits, edits
def test_token_refresh_and_invalid_token(fresh):
    emulator, client = fresh
    granted = client.post("/oauth/v2/token", data=CREDENTIALS).json()
    assert granted["api_domain"] == emulator.base_url and granted["token_type"] == "Bearer"
    assert granted["expires_in"] == 3600
    fresh_auth = {"Authorization": f"Zoho-oauthtoken {granted['access_token']}"}
    assert client.get("/crm/v8/Deals", params={"fields": "Stage", "per_page": 1}, headers=fresh_auth).status_code == 200
    assert client.post("/oauth/v2/token", data={**CREDENTIALS, "client_secret": "x"}).json() == {"error": "invalid_client"}
    assert client.post("/oauth/v2/token", data={**CREDENTIALS, "refresh_token": "x"}).json() == {"error": "invalid_code"}
    bearer = client.get("/crm/v8/Deals", params={"fields": "Stage"},
                        headers={"Authorization": f"Bearer {granted['access_token']}"})
    assert bearer.status_code == 401  # Zoho's own scheme only
    emulator.set_faults(expired_token=True)
    expired = client.get("/crm/v8/Deals", params={"fields": "Stage"}, headers=fresh_auth)
    assert (expired.status_code, expired.json()) == (401, {"code": "INVALID_TOKEN", "details": {},
                                                          "message": "invalid oauth token", "status": "error"})
    renewed = client.post("/oauth/v2/token", data=CREDENTIALS).json()["access_token"]
    again = client.get("/crm/v8/Deals", params={"fields": "Stage", "per_page": 1},
                       headers={"Authorization": f"Zoho-oauthtoken {renewed}"})
    assert again.status_code == 200


def test_rate_limits_and_server_errors(seed):
    with ZohoEmulator(seed, daily_credits=3).start() as emulator, httpx.Client(
        base_url=emulator.base_url, headers=AUTH, timeout=10
    ) as client:
        emulator.set_faults(rate_limit_burst=2)
        statuses = [client.get("/crm/v8/users").status_code for _ in range(6)]
        assert statuses == [429, 429, 200, 200, 200, 429]  # a burst of 2, then 3 credits, then none
        refused = client.get("/crm/v8/users")
        assert refused.json() == {"code": "TOO_MANY_REQUESTS", "details": {}, "status": "error",
                                  "message": "The API credits of the org for the last 24 hours are exhausted."}
    with ZohoEmulator(seed).start() as emulator, httpx.Client(base_url=emulator.base_url, headers=AUTH) as client:
        emulator.set_faults(server_errors=1, extra_field={"name": "Region__c", "value": "West"})
        assert client.get("/crm/v8/users").json() == {"code": "INTERNAL_ERROR", "details": {},
                                                      "message": "Internal Server Error", "status": "error"}
        deal = client.get("/crm/v8/Deals", params={"fields": "Stage,Region__c", "per_page": 1}).json()["data"][0]
        assert deal == {"Stage": STAGES[2150 % 3], "Region__c": "West", "id": str(Z + 2150)}


def test_edits_move_modified_time_and_write_stage_history(fresh):
    emulator, client = fresh
    # the newest time in the seed is L9's deletion, 2026-09-02T10:00:00-05:00 (15:00 UTC): the edit is a second
    # later, written in the deal's own offset
    updated = emulator.update_record("Deals", str(Z + 1), {"Stage": "Closed Lost"})
    assert updated["Modified_Time"] == "2026-09-02T09:00:01-06:00"
    changed = client.get("/crm/v8/Deals", params={"fields": "Stage"},
                         headers={"If-Modified-Since": "2026-09-02T00:00:00-05:00"})
    assert changed.json()["data"] == [{"Stage": "Closed Lost", "id": str(Z + 1)}]
    history = client.get(f"/crm/v8/Deals/{Z + 1}/Stage_History", params={"fields": "Stage,Duration_Days"}).json()
    assert [r["Stage"] for r in history["data"]] == ["Closed Lost", "Closed Won", "Needs Analysis", "Qualification"]
    assert history["data"][1]["Duration_Days"] == 176  # 03-10 15:00 UTC to 09-02 15:00:01 UTC: 21+30+31+30+31+31+2
    gone = client.post(f"/_emulator/records/Deals/{Z + 2}/delete").json()
    assert (gone["id"], gone["type"], gone["deleted_time"]) == (str(Z + 2), "recycle", "2026-09-02T09:00:02-06:00")
    assert client.get("/crm/v8/Deals", params={"fields": "Stage", "ids": str(Z + 2)}).status_code == 204
    assert client.get("/crm/v8/Deals/deleted").json()["data"][0]["id"] == str(Z + 2)


def test_bad_seed_line_is_one_line_error(tmp_path):
    (tmp_path / "Deals.jsonl").write_text('{"id": "1"}\n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"Deals.jsonl line 2: expected a string field 'id' \(Zoho ids are strings"):
        ZohoEmulator(tmp_path).start()
    with pytest.raises(FileNotFoundError, match="Zoho CRM emulator data directory not found"):
        ZohoEmulator(tmp_path / "nope").start()


def test_python_dash_m_serves_until_terminated(seed):
    with emulator_process("zoho", seed, "--daily-credits", "5", env={"ZOHO_EMULATOR_ACCESS_TOKEN": "cli-token"}) as url:
        assert url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{url}/crm/v8/users", headers={"Authorization": "Zoho-oauthtoken cli-token"}, timeout=10)
        assert [u["full_name"] for u in response.json()["users"]] == ["Ann Lee", "Bob Roe"]
