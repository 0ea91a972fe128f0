"""Zoho's official Python SDK for API v8 (zohocrmsdk8-0) reads the Zoho emulator: OAuthToken (client id, secret and
refresh token) against the emulator's accounts URL, a DataCenter.Environment of the emulator's URLs, a FileStore in
tmp; Deals through RecordOperations and a deal's Stage_History through RelatedRecordsOperations, compared with the
generator's seed (scale 0.2: 20 deals planned, the deleted ones only in deleted.jsonl)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from emulators.zoho import ZohoEmulator
from funnelhouse.generate import generate
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.record import APIException, GetRecordsParam, RecordOperations, ResponseWrapper
from zohocrmsdk.src.com.zoho.crm.api.related_records import GetRelatedRecordsParam, RelatedRecordsOperations
from zohocrmsdk.src.com.zoho.crm.api.related_records import ResponseWrapper as RelatedWrapper
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("inputs")
    generate(out, seed=42, scale=0.2, as_of=date(2026, 9, 30))
    return out / "zoho"


@pytest.fixture(scope="module")
def sdk(seed, tmp_path_factory):
    """The SDK initialised against a running emulator (its token came from a refresh grant)."""
    work = tmp_path_factory.mktemp("sdk")
    with ZohoEmulator(seed).start() as emulator:
        environment = DataCenter.Environment(emulator.base_url, f"{emulator.base_url}/oauth/v2/token",
                                             emulator.base_url)
        token = OAuthToken(client_id="emulator-client-id", client_secret="emulator-client-secret",
                           refresh_token="emulator-refresh-token")
        Initializer.initialize(environment=environment, token=token, store=FileStore(str(work / "tokens.csv")),
                               sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
                               resource_path=str(work), logger=Logger.get_instance(Logger.Levels.INFO,
                                                                                     str(work / "sdk.log")))
        yield emulator, work


def test_sdk_reads_deals(sdk, seed):
    emulator, work = sdk
    expected = {d["id"]: d for d in _jsonl(seed / "Deals.jsonl")}
    params = ParameterMap()
    params.add(GetRecordsParam.fields, "Deal_Name,Stage,Amount,Account_Name,Closing_Date,Modified_Time")
    params.add(GetRecordsParam.per_page, 200)
    params.add(GetRecordsParam.sort_by, "id")
    params.add(GetRecordsParam.sort_order, "asc")
    response = RecordOperations("Deals").get_records(params, HeaderMap())
    assert response.get_status_code() == 200
    wrapper = response.get_object()
    assert isinstance(wrapper, ResponseWrapper)
    records = wrapper.get_data()
    assert len(records) == len(expected) == 19  # 20 planned deals, 1 deleted
    assert [str(r.get_id()) for r in records] == sorted(expected)
    first, seeded = records[0], expected[str(records[0].get_id())]
    assert first.get_key_value("Deal_Name") == seeded["Deal_Name"]
    assert first.get_key_value("Stage").get_value() == seeded["Stage"]
    assert first.get_key_value("Amount") == seeded["Amount"]
    assert first.get_key_value("Modified_Time") == datetime.fromisoformat(seeded["Modified_Time"])
    assert first.get_key_value("Account_Name").get_key_value("name") == seeded["Account_Name"]["name"]
    assert wrapper.get_info().get_more_records() is False and wrapper.get_info().get_count() == 19
    token_file = (work / "tokens.csv").read_text()
    assert "emulator-refresh-token" in token_file  # the SDK keeps its token in the tmp FileStore
    stats = emulator.stats()["paths"]
    assert stats["/oauth/v2/token"] == {"200": 1} and stats["/crm/v8/Deals"] == {"200": 1}


def test_sdk_reads_stage_history(sdk, seed):
    emulator, _ = sdk
    rows = [r for r in _jsonl(seed / "Stage_History.jsonl")]
    deal_id = rows[0]["deal_id"]
    mine = [r for r in rows if r["deal_id"] == deal_id]
    params = ParameterMap()
    params.add(GetRelatedRecordsParam.fields, "Stage,Amount,Modified_Time,Duration_Days")
    response = RelatedRecordsOperations("Stage_History", "Deals").get_related_records(int(deal_id), params,
                                                                                      HeaderMap())
    wrapper = response.get_object()
    assert isinstance(wrapper, RelatedWrapper)
    got = [(str(r.get_id()), r.get_key_value("Stage"), r.get_key_value("Amount"),
            r.get_key_value("Modified_Time")) for r in wrapper.get_data()]
    newest_first = sorted(mine, key=lambda r: datetime.fromisoformat(r["Modified_Time"]), reverse=True)
    assert got == [(r["id"], r["Stage"], r["Amount"], datetime.fromisoformat(r["Modified_Time"]))
                   for r in newest_first]
    assert len(got) == len(mine) >= 2


def test_sdk_sees_invalid_token(sdk):
    emulator, _ = sdk
    emulator.set_faults(expired_token=True)
    try:
        params = ParameterMap()
        params.add(GetRecordsParam.fields, "Deal_Name")
        response = RecordOperations("Deals").get_records(params, HeaderMap())
        error = response.get_object()
        assert response.get_status_code() == 401 and isinstance(error, APIException)
        assert (error.get_code().get_value(), error.get_message().get_value()) == ("INVALID_TOKEN", "invalid oauth token")
    finally:
        emulator.clear_faults()
