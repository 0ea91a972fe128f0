"""fxiaoke as a YAML CRM (ingestion/rest_crm/crms/fxiaoke.yaml) against the fxiaoke emulator serving the hand-written
fixtures of tests/fixtures/fxiaoke/ (emulators/fxiaoke/README.md format).

The fixtures (hand count): 5 商机 O1-O5: O1 需求确定 (stage "2", after a backward move 方案/报价 -> 需求确定), O2 赢单
("5", after a skip 验证客户 -> 方案/报价), O3 输单 ("6", lost_reason 价格太高), O4 验证客户 but 作废 (life_status
invalid: is_deleted), O5 with the amount "五十万" (quarantined), O6 作废 then deleted (is_deleted true: a query lists
it only when a filter names is_deleted, the YAML's deleted_deals endpoint); 9 stage-change records (O1 4, O2 3, O3 2); 2 客户,
2 联系人, 3 线索 (sources 展会 / 官网 / 客户介绍), 3 employees (王芳 stopped).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import duckdb
import yaml
import pytest

from emulators.fxiaoke import FxiaokeEmulator
from ingestion.common.errors import FunnelhouseError
from ingestion.rest_crm import auth as crm_auth
from ingestion.run import IngestOptions, ingest_source

FIXTURES = Path(__file__).parent / "fixtures" / "fxiaoke"
SECRETS = {"app_id": "FSAID_emulator", "app_secret": "emulator-app-secret",
           "permanent_code": "emulator-permanent-code", "current_open_user_id": "FSUID_0001"}
TOKEN, QUERY, DESCRIBE, USERS = ("/cgi/corpAccessToken/get/V2", "/cgi/crm/v2/data/query",
                                 "/cgi/crm/v2/object/describe", "/cgi/user/list")
STAGES = {"1": "验证客户", "2": "需求确定", "3": "方案/报价", "4": "谈判审核", "5": "赢单", "6": "输单"}
O = "64f0a1c2e4b0opp0000000"  # + deal number


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


def options(tmp_path: Path, fx: FxiaokeEmulator, **override: str) -> IngestOptions:
    return IngestOptions(inputs_dir=tmp_path / "inputs", warehouse=tmp_path / "w.duckdb",
                         pipelines_dir=tmp_path / "pipelines",
                         api_settings={"fxiaoke": {"base_url": fx.base_url, **SECRETS, **override}})


def calls(fx: FxiaokeEmulator) -> dict[str, int]:
    return {path: sum(statuses.values()) for path, statuses in fx.stats()["paths"].items()}


def tallies(summary: Any) -> dict[str, tuple[int, int, int]]:
    return {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined) for t in summary.tallies}


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as db:
        return db.sql(sql).fetchall()


def fixture_records(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


def test_full_then_incremental_load(tmp_path: Path) -> None:
    with FxiaokeEmulator(FIXTURES).start() as fx:
        run = options(tmp_path, fx)
        summary, errors = ingest_source("fxiaoke", run)
        assert errors == [] and summary.skipped == ""
        assert tallies(summary) == {
            "fxiaoke/deals": (5, 4, 1), "fxiaoke/deleted_deals": (1, 1, 0), "fxiaoke/stage_changes": (9, 9, 0),
            "fxiaoke/employees": (3, 3, 0), "fxiaoke/accounts": (2, 2, 0), "fxiaoke/leads": (3, 3, 0),
            "fxiaoke/contacts": (2, 2, 0)}
        # one token; one page per query (6 queries: 5 objects and the deleted 商机, each answer shorter than
        # limit 100); the describes of 商机 and 线索 once each; the address book once
        assert calls(fx) == {TOKEN: 1, QUERY: 6, DESCRIBE: 2, USERS: 1}
        warehouse = run.warehouse
        assert rows(warehouse, "select deal_id, stage, amount, currency_code, expected_close_on, owner_id, "
                               "loss_reason, is_deleted from raw_fxiaoke.deals order by 1") == [
            (f"{O}1", "需求确定", 350000, "CNY", _day("2026-04-30"), "FSUID_0002", None, False),
            (f"{O}2", "赢单", 1280000, "CNY", _day("2026-03-20"), "FSUID_0001", None, False),
            (f"{O}3", "输单", 86000, "CNY", _day("2026-03-15"), "FSUID_0002", "价格太高", False),
            (f"{O}4", "验证客户", 200000, "CNY", _day("2026-06-30"), "FSUID_0002", None, True),  # 作废
            (f"{O}6", "谈判审核", 420000, "CNY", _day("2026-05-15"), "FSUID_0002", None, True)]  # deleted
        assert rows(warehouse, "select field, raw_value, reason from raw_fxiaoke.quarantine") == [
            ("amount", "五十万", "amount is not a number: '五十万'; correct the value in fxiaoke")]
        assert stage_changes(warehouse) == emulator_stage_changes(fx) and len(stage_changes(warehouse)) == 9
        assert rows(warehouse, f"select from_stage, stage from raw_fxiaoke.deal_stage_changes where deal_id = '{O}1' "
                               "order by changed_at") == [
            (None, "验证客户"), ("验证客户", "需求确定"), ("需求确定", "方案/报价"), ("方案/报价", "需求确定")]
        assert rows(warehouse, "select person_name, person_type, lead_status, channel from raw_fxiaoke.people "
                               "where person_type = 'lead' order by 1") == [
            ("周婷", "lead", "已跟进", "客户介绍"), ("孙浩", "lead", "待处理", "官网"), ("赵敏", "lead", "已转换", "展会")]
        assert rows(warehouse, "select owner_id, owner_name, is_active from raw_fxiaoke.owners order by 1") == [
            ("FSUID_0001", "张伟", True), ("FSUID_0002", "李娜", True), ("FSUID_0003", "王芳", False)]
        assert rows(warehouse, "select crm_name, spec_file from raw_fxiaoke.crm_spec") == [("fxiaoke", "fxiaoke.yaml")]

        # O1 moves on (需求确定 -> 谈判审核, a skip): the platform records the move; nothing else changes
        fx.reset_stats()
        fx.save_record("NewOpportunityObj", {**fixture_records("NewOpportunityObj")[0], "sales_stage": "4"})
        summary, errors = ingest_source("fxiaoke", run)
        assert errors == []
        # only the changed records are read: the records at the saved cursor come again (GTE) and dlt drops them
        assert tallies(summary) == {
            "fxiaoke/deals": (1, 1, 0), "fxiaoke/deleted_deals": (0, 0, 0), "fxiaoke/stage_changes": (1, 1, 0),
            "fxiaoke/employees": (3, 3, 0), "fxiaoke/accounts": (0, 0, 0), "fxiaoke/leads": (0, 0, 0),
            "fxiaoke/contacts": (0, 0, 0)}
        assert calls(fx) == {TOKEN: 1, QUERY: 6, DESCRIBE: 1, USERS: 1}  # no lead read: no 线索 describe
        assert [t.detail for t in summary.tallies][0].startswith("changed since ")
        assert rows(warehouse, f"select stage from raw_fxiaoke.deals where deal_id = '{O}1'") == [("谈判审核",)]
        assert stage_changes(warehouse) == emulator_stage_changes(fx) and len(stage_changes(warehouse)) == 10
        assert rows(warehouse, f"select from_stage, stage from raw_fxiaoke.deal_stage_changes where deal_id = '{O}1' "
                               "order by changed_at desc limit 1") == [("需求确定", "谈判审核")]
        assert rows(warehouse, "select count(*), count(*) filter (where is_deleted) from raw_fxiaoke.deals") == [(5, 2)]


def stage_changes(warehouse: Path) -> set[tuple]:
    return set(rows(warehouse, "select change_id, deal_id, stage, from_stage, epoch_ms(changed_at) "
                               "from raw_fxiaoke.deal_stage_changes"))


def emulator_stage_changes(fx: FxiaokeEmulator) -> set[tuple]:
    """The emulator's stage-change records (asked for as any client would), their option values as labels."""
    import httpx

    with httpx.Client(base_url=fx.base_url, timeout=10) as http:
        credentials = {"appId": SECRETS["app_id"], "appSecret": SECRETS["app_secret"],
                       "permanentCode": SECRETS["permanent_code"]}
        token = http.post(TOKEN, json=credentials).json()
        found = http.post(QUERY, json={
            "corpAccessToken": token["corpAccessToken"], "corpId": token["corpId"],
            "currentOpenUserId": SECRETS["current_open_user_id"],
            "data": {"dataObjectApiName": "NewOpportunityStageChangeObj", "search_query_info": {
                "limit": 100, "offset": 0, "filters": [], "orders": []}}}).json()["data"]["dataList"]
    return {(r["_id"], r["new_opportunity_id"], STAGES[r["after_stage"]], STAGES.get(r.get("before_stage")),
             r["change_time"]) for r in found}


def _day(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


def test_offset_paging_in_the_json_body(tmp_path: Path) -> None:
    with FxiaokeEmulator(FIXTURES).start() as fx:
        for number in range(6, 202):  # 196 more 商机: 201 in all
            fx.save_record("NewOpportunityObj", {
                "_id": f"64f0a1c2e4b0opp{number:08d}", "name": f"商机{number}", "amount": "100000.00",
                "sales_stage": "1", "owner": ["FSUID_0002"], "life_status": "normal", "is_deleted": False,
                "create_time": 1772323200000})
        summary, errors = ingest_source("fxiaoke", options(tmp_path, fx))
        assert errors == []
        # the platform records each new 商机's stage: 9 + 196 = 205 stage changes
        assert {name: counts for name, counts in tallies(summary).items() if name in (
            "fxiaoke/deals", "fxiaoke/stage_changes")} == {"fxiaoke/deals": (201, 200, 1),
                                                           "fxiaoke/stage_changes": (205, 205, 0)}
        # offsets 0, 100, 200 in the JSON body: deals 100 + 100 + 1, stage changes 100 + 100 + 5; the deleted 商机
        # and the other 3 objects one page each
        assert calls(fx)[QUERY] == 3 + 3 + 4


def test_an_expired_token_is_renewed_once_then_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    obtain = crm_auth.CrmAuth.obtain
    with FxiaokeEmulator(FIXTURES).start() as fx:
        expire_after = {"count": 1}

        def obtain_then_expire(self: Any) -> None:  # the token the run just got expires at once (20016)
            obtain(self)
            if expire_after["count"]:
                expire_after["count"] -= 1
                fx.set_faults(expired_token=True)

        monkeypatch.setattr(crm_auth.CrmAuth, "obtain", obtain_then_expire)
        summary, errors = ingest_source("fxiaoke", options(tmp_path / "renewed", fx))
        assert errors == [] and tallies(summary)["fxiaoke/deals"] == (5, 4, 1)
        assert calls(fx)[TOKEN] == 2 and calls(fx)[QUERY] == 7  # the refused query once more, with the new token

        expire_after["count"] = 2  # the renewed token is refused too
        with pytest.raises(Exception) as raised:
            ingest_source("fxiaoke", options(tmp_path / "refused", fx))
        assert _one_line(raised.value) == (
            "fxiaoke rejected a freshly obtained token (errorCode 20016: the cropId,cropAccessToken or authorization "
            "is error) for /cgi/crm/v2/data/query: check app_id, app_secret, permanent_code under [sources.fxiaoke] in "
            ".dlt/secrets.toml or FUNNELHOUSE_FXIAOKE_APP_ID, FUNNELHOUSE_FXIAOKE_APP_SECRET, "
            "FUNNELHOUSE_FXIAOKE_PERMANENT_CODE, and that the app may read this data")


def test_wrong_credentials_are_one_line(tmp_path: Path) -> None:
    with FxiaokeEmulator(FIXTURES).start() as fx:
        with pytest.raises(Exception) as raised:
            ingest_source("fxiaoke", options(tmp_path, fx, app_secret="wrong"))
    assert _one_line(raised.value) == (
        "fxiaoke: the token request was refused (errorCode 10006: the parameter appSecret is missing or illegal): "
        "check app_id, app_secret, permanent_code under [sources.fxiaoke] in .dlt/secrets.toml or "
        "FUNNELHOUSE_FXIAOKE_APP_ID, FUNNELHOUSE_FXIAOKE_APP_SECRET, FUNNELHOUSE_FXIAOKE_PERMANENT_CODE")


def test_too_frequent_is_waited_out(tmp_path: Path) -> None:
    with FxiaokeEmulator(FIXTURES).start() as fx:
        fx.set_faults(rate_limit_burst=2)  # the next 2 calls answer errorCode 30004 秒频次超限
        started = time.monotonic()
        summary, errors = ingest_source("fxiaoke", options(tmp_path, fx))
        assert errors == [] and tallies(summary)["fxiaoke/deals"] == (5, 4, 1)
        assert time.monotonic() - started >= 2  # retry_seconds 1, twice
        # the first query answered 30004 twice, then its page: 6 + 2 queries
        assert calls(fx) == {TOKEN: 1, QUERY: 8, DESCRIBE: 2, USERS: 1}


def _one_line(error: BaseException) -> str:
    """The FunnelhouseError in dlt's wrapping, as ingest shows it."""
    from ingestion.common.explain import exception_chain

    found = next(e for e in exception_chain(error) if isinstance(e, FunnelhouseError))
    assert "\n" not in str(found)
    return str(found)


def test_past_the_offset_cap_paging_goes_on_by_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fxiaoke.yaml with its offset cap lowered from 10,000 to 100: after offsets 0 and 100 the third page is asked
    at offset 0 with `_id GT <the 200th _id>` (深翻页), the records ordered by _id."""
    import requests

    from ingestion import connectors
    from ingestion.rest_crm.registry import yaml_connector

    spec = yaml.safe_load((Path(crm_auth.__file__).parent / "crms" / "fxiaoke.yaml").read_text(encoding="utf-8"))
    spec["endpoints"]["deals"]["paging"]["max_offset"] = 100
    path = tmp_path / "crms" / "fxiaoke.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    monkeypatch.setitem(connectors.BY_NAME, "fxiaoke", yaml_connector(path))
    asked: list[tuple[int, list[dict[str, Any]]]] = []
    send = requests.Session.send

    def recording(self: Any, request: Any, **kwargs: Any) -> Any:
        body = json.loads(request.body or b"{}")
        query = body.get("data", {})
        filters = query.get("search_query_info", {}).get("filters", [])
        if query.get("dataObjectApiName") == "NewOpportunityObj" and "is_deleted" not in str(filters):
            asked.append((query["search_query_info"]["offset"], query["search_query_info"]["filters"][1:]))
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", recording)
    with FxiaokeEmulator(FIXTURES).start() as fx:
        for number in range(7, 203):  # 196 more 商机 after O1-O5 (O6 is deleted): 201 listed
            fx.save_record("NewOpportunityObj", {"_id": f"64f0a1c2e4b0opp{number:08d}", "name": f"商机{number}",
                                                 "amount": "100000.00", "sales_stage": "1", "life_status": "normal",
                                                 "is_deleted": False})
        summary, errors = ingest_source("fxiaoke", options(tmp_path, fx))
    assert errors == [] and tallies(summary)["fxiaoke/deals"] == (201, 200, 1)
    # by _id: O1-O5 and 7..201 on the first two pages, then the one after the 200th (…201): 202
    assert asked == [(0, []), (100, []), (0, [{"field_name": "_id", "operator": "GT",
                                               "field_values": ["64f0a1c2e4b0opp00000201"]}])]
    assert rows(tmp_path / "w.duckdb", "select count(*), count(distinct deal_id) from raw_fxiaoke.deals") == [
        (201, 201)]  # 200 listed and loaded, and O6 (deleted)
