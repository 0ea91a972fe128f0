"""Zoho CRM v8 rows on the hand-written fixtures (tests/fixtures/zoho/, shaped as the v8 docs' example bodies): lookups
flattened, ids as text, datetimes with offsets in UTC, leads' conversion, Stage_History with a skip and a backward
move, pipelines' stages, deleted records; bad values (Amount '12k', Closing_Date 2026-02-30) name field and fix."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from ingestion.common.parsing import FieldError
from ingestion.zoho import rows
from ingestion.zoho.settings import DEALS, LEADS, MODULES, RAW_TABLES

FIXTURES = Path(__file__).parent / "fixtures" / "zoho"
UTC = timezone.utc
D1, D2, D3 = "5725767000000540001", "5725767000000540002", "5725767000000540003"


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def _shaped(table: str, name: str) -> tuple[list[dict], list[FieldError]]:
    to_row, good, bad = rows.READERS[table](), [], []
    for record in _lines(name):
        try:
            good.append(to_row(record))
        except FieldError as error:
            bad.append(error)
    return good, bad


def test_every_raw_table_is_declared_with_an_arrow_schema_and_text_ids():
    assert set(rows.SCHEMAS) == set(RAW_TABLES)
    assert all(rows.SCHEMAS[table] is not None for table in RAW_TABLES)
    assert rows.SCHEMAS["deals"].names == [
        "id", "owner_id", "owner_name", "created_time", "modified_time", "deal_name", "stage", "amount", "currency",
        "exchange_rate", "closing_date", "probability", "expected_revenue", "pipeline_id", "pipeline_name", "type",
        "lead_source", "reason_for_loss_s", "account_name_id", "account_name_name", "contact_name_id",
        "contact_name_name"]
    assert rows.SCHEMAS["deal_stage_history"].names[:3] == ["id", "deal_id", "stage"]
    assert rows.SCHEMAS["deleted_records"].names[:2] == ["id", "module"]
    assert rows.KEYS["deleted_records"] == ("module", "id")
    for table in RAW_TABLES:  # Zoho ids are 19-digit strings
        assert rows.SCHEMAS[table].field("id").type == pa.string()
        assert not rows.SCHEMAS[table].field("id").nullable
    assert rows.SCHEMAS["deals"].field("modified_time").type == pa.timestamp("us", tz="UTC")
    assert rows.SCHEMAS["deals"].field("amount").type == pa.decimal128(38, 9)


def test_fields_param_names_every_asked_field_once():
    assert DEALS.fields_param.split(",")[:4] == ["Owner", "Created_Time", "Modified_Time", "Deal_Name"]
    assert "Reason_For_Loss__s" in DEALS.fields_param.split(",")
    assert "$converted" not in LEADS.fields_param and LEADS.params == {"converted": "both"}
    assert [spec.path for spec in MODULES] == ["crm/v8/Leads", "crm/v8/Accounts", "crm/v8/Contacts", "crm/v8/Deals"]


def test_deals_open_won_lost_and_two_bad_values_quarantined_with_their_reason():
    good, bad = _shaped("deals", "Deals.jsonl")
    assert [row["stage"] for row in good] == ["Negotiation/Review", "Closed Won", "Closed Lost"]  # 5 read = 3 + 2
    won = good[1]
    assert won["id"] == D2 and won["amount"] == Decimal("12500.5") and won["currency"] == "USD"
    assert won["owner_id"] == "5725767000000411001" and won["owner_name"] == "Patricia Boyle"
    assert won["account_name_id"] == "5725767000000520001" and won["account_name_name"] == "Oh My Goodknits Inc"
    assert won["pipeline_id"] == "5725767000000091023" and won["pipeline_name"] == "Standard (Standard)"
    assert won["closing_date"] == date(2025, 10, 15)
    # 2025-10-15T17:00:00-07:00 -> 2025-10-16 00:00 UTC
    assert won["modified_time"] == datetime(2025, 10, 16, 0, 0, tzinfo=UTC)
    assert good[2]["reason_for_loss_s"] == "Price"
    # 2025-11-20T18:00:00+05:30 -> 12:30 UTC
    assert good[2]["modified_time"] == datetime(2025, 11, 20, 12, 30, tzinfo=UTC)
    assert [(error.field, error.raw_value, error.reason) for error in bad] == [
        ("Amount", "12k", "Amount is not a number: '12k'; correct the value in Zoho CRM"),
        ("Closing_Date", "2026-02-30", "Closing_Date is not on the calendar: '2026-02-30'; correct the value in "
                                       "Zoho CRM")]
    table = pa.Table.from_pylist(good, schema=rows.SCHEMAS["deals"])
    assert table.num_rows == 3


def test_leads_converted_and_not():
    good, bad = _shaped("leads", "Leads.jsonl")
    assert bad == []
    assert [row["converted"] for row in good] == [False, False, True, True]
    kris = good[2]
    assert kris["converted_time"] == datetime(2025, 9, 10, 18, 0, tzinfo=UTC)  # 11:00-07:00
    assert (kris["converted_deal_id"], kris["converted_account_id"], kris["converted_contact_id"]) == (
        D2, "5725767000000520001", "5725767000000530001")
    assert good[3]["converted_deal_id"] is None and good[3]["converted_contact_id"] == "5725767000000530002"
    assert good[0]["converted_time"] is None and good[0]["annual_revenue"] == Decimal("800000")
    assert good[0]["no_of_employees"] == 40


def test_accounts_contacts_users():
    accounts, _ = _shaped("accounts", "Accounts.jsonl")
    assert accounts[1]["parent_account_id"] == "5725767000000520001"
    assert accounts[1]["parent_account_name"] == "Oh My Goodknits Inc" and accounts[0]["parent_account_id"] is None
    contacts, _ = _shaped("contacts", "Contacts.jsonl")
    assert [row["account_name_id"] for row in contacts] == ["5725767000000520001", "5725767000000520002", None]
    users, bad = _shaped("users", "users.jsonl")
    assert bad == [] and [row["status"] for row in users] == ["active", "active", "disabled"]
    assert users[0]["role_name"] == "CEO" and users[0]["profile_name"] == "Administrator"
    assert users[1]["modified_time"] == datetime(2025, 10, 1, 6, 30, tzinfo=UTC)  # 12:00+05:30


def test_stage_history_keeps_the_backward_move_and_the_skip():
    history: dict[str, list[dict]] = {}
    for record in _lines("Stage_History.jsonl"):  # the seed's deal_id names the parent deal (the API omits it)
        history.setdefault(record.pop("deal_id"), []).append(record)
    stages = {deal: [rows.stage_history_reader(deal)(record)["stage"] for record in records]
              for deal, records in history.items()}
    # D1 moves back from Value Proposition to Needs Analysis; D2 skips from Qualification to Proposal/Price Quote
    assert stages[D1] == ["Qualification", "Needs Analysis", "Value Proposition", "Needs Analysis",
                          "Negotiation/Review"]
    assert stages[D2] == ["Qualification", "Proposal/Price Quote", "Closed Won"]
    assert stages[D3] == ["Qualification", "Needs Analysis", "Closed Lost"]
    row = rows.stage_history_reader(D1)(history[D1][2])
    assert row == {"id": "5725767000000550003", "deal_id": D1, "stage": "Value Proposition",
                   "amount": Decimal("45000"), "probability": Decimal("40"), "expected_revenue": Decimal("18000.0"),
                   "closing_date": date(2026, 1, 31), "duration_days": 16,
                   "modified_time": datetime(2025, 10, 25, 19, 0, tzinfo=UTC),
                   "modified_by_id": "5725767000000411001", "modified_by_name": "Patricia Boyle",
                   "moved_to_s": "Needs Analysis"}
    with pytest.raises(FieldError, match="has no deal"):
        rows.stage_history_reader()(history[D1][0])


def test_stages_of_both_pipelines_with_probability_and_forecast_type():
    # the pipelines' maps (v8.0/pipeline.json) carry no probability: the Stage picklist of settings/fields does
    pipelines = json.loads((FIXTURES / "pipelines.json").read_text())["pipeline"]
    picklist = rows.stage_probabilities(json.loads((FIXTURES / "fields_Deals.json").read_text())["fields"])
    assert len(picklist) == 12 and picklist["Value Proposition"] == 40
    found = [row for pipeline in pipelines for row in rows.stage_rows(pipeline, picklist)]
    assert len(found) == 12  # Standard 9 + Renewals 3
    assert [(row["stage_name"], row["display_order"], row["probability"], row["forecast_type"])
            for row in found if row["pipeline_name"] == "Renewals"] == [
        ("Renewal Due", 1, Decimal("50"), "Open"), ("Renewed", 2, Decimal("100"), "Closed Won"),
        ("Churned", 3, Decimal("0"), "Closed Lost")]
    assert found[6]["id"] == "5725767000000091023:5725767000000093007" and found[6]["pipeline_default"] is True
    assert (found[6]["stage_name"], found[6]["forecast_category_name"]) == ("Closed Won", "Closed")
    # a map's own probability wins; without either, the probability is null
    own = {**pipelines[1], "maps": [{**pipelines[1]["maps"][0], "probability": 55}]}
    assert rows.stage_rows(own, picklist)[0]["probability"] == Decimal("55")
    assert rows.stage_rows(pipelines[1])[0]["probability"] is None
    with pytest.raises(FieldError, match="no list of stages"):
        rows.stage_rows({"id": "1"})


def test_deleted_records_carry_module_and_time():
    found = [rows.deleted_reader()(item) for item in _lines("deleted.jsonl")]  # the seed's module key
    assert [(row["module"], row["id"], row["type"]) for row in found] == [
        ("Deals", "5725767000000540006", "recycle"), ("Leads", "5725767000000510005", "permanent")]
    assert found[0]["deleted_time"] == datetime(2025, 11, 21, 3, 45, tzinfo=UTC)  # 09:15+05:30
    assert found[0]["deleted_by_name"] == "Ravi Menon"


def test_a_lookup_that_is_not_an_object_is_quarantined():
    deal = _lines("Deals.jsonl")[0]
    with pytest.raises(FieldError, match=r"Owner is not a lookup \{name, id\}"):
        rows.READERS["deals"]()({**deal, "Owner": ["x"]})
    with pytest.raises(FieldError, match="the deal record has no id"):
        rows.READERS["deals"]()({k: v for k, v in deal.items() if k != "id"})


def test_stage_items_one_per_stage_and_a_pipeline_without_stages_quarantined():
    pipeline = json.loads((FIXTURES / "pipelines.json").read_text())["pipeline"][1]
    asked = []

    def probabilities() -> dict:
        asked.append(1)
        return {"Renewal Due": 50}

    items = rows.stage_items(pipeline, probabilities)
    assert [rows.stage_item_row(item)["probability"] for item in items] == [Decimal("50"), None, None]
    assert len(asked) == 3  # asked per stage without its own; the source caches the one request
    assert rows.stage_items({**pipeline, "maps": [{**pipeline["maps"][0], "probability": 5}]}, probabilities)[0][
        "pipeline"]["maps"][0]["probability"] == 5 and len(asked) == 3
    (bad,) = rows.stage_items({"id": "9", "display_value": "Broken"}, probabilities)
    with pytest.raises(FieldError, match="no list of stages"):
        rows.stage_item_row(bad)
