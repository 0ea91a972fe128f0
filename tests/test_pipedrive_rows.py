"""Pipedrive rows: v2 deals (custom fields named by dealFields), stage moves from a deal's changelog in time order,
persons, organizations, users (v1), stages and pipelines, on records shaped as Pipedrive's docs and client models show
them; bad values name the field and what to do."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pytest

from ingestion.common.parsing import FieldError
from ingestion.pipedrive.rows import (
    COLUMNS,
    SCHEMAS,
    CustomField,
    custom_fields,
    deal_reader,
    deal_schema,
    organization_reader,
    person_reader,
    pipeline_reader,
    stage_change_reader,
    stage_change_rows,
    stage_reader,
    user_reader,
)
from ingestion.pipedrive.settings import DEALS, ENTITIES, PAGE_LIMIT, RAW_TABLES

UTC = timezone.utc
CHANNEL, CONTRACT, DISCOUNT, RENEWAL = "d4de1c1518b4531717c676029a45911c340390a6", "a" * 40, "b" * 40, "c" * 40
CLASH, REGIONS = "0e5f" + "1" * 36, "e" * 40
# GET /api/v1/dealFields: standard fields have short keys, custom ones 40-hex keys
DEAL_FIELDS = [
    {"key": "title", "name": "Title", "field_type": "varchar", "edit_flag": False},
    {"key": "value", "name": "Value", "field_type": "monetary", "edit_flag": False},
    {"key": CHANNEL, "name": "Partner channel", "field_type": "enum", "edit_flag": True,
     "options": [{"id": 11, "label": "Direct"}, {"id": 12, "label": "Reseller"}]},
    {"key": REGIONS, "name": "Regions", "field_type": "set", "edit_flag": True,
     "options": [{"id": 1, "label": "DACH"}, {"id": 2, "label": "Nordics"}]},
    {"key": CONTRACT, "name": "Contract value", "field_type": "monetary", "edit_flag": True},
    {"key": DISCOUNT, "name": "Discount %", "field_type": "double", "edit_flag": True},
    {"key": RENEWAL, "name": "Renewal date", "field_type": "date", "edit_flag": True},
    {"key": CLASH, "name": "Status", "field_type": "varchar", "edit_flag": True},  # a deal column is named status
]
FIELDS = custom_fields(DEAL_FIELDS)
# GET /api/v2/deals item (client-nodejs v2 Deal model; the migration guide's custom_fields shapes)
DEAL = {
    "id": 1, "title": "Acme renewal", "owner_id": 42, "person_id": 47, "org_id": 12, "pipeline_id": 1,
    "stage_id": 3, "value": 12000.5, "currency": "EUR", "add_time": "2025-01-04T10:44:11Z",
    "update_time": "2025-02-01T08:00:00Z", "stage_change_time": "2025-01-20T09:00:00.000Z", "is_deleted": False,
    "is_archived": False, "status": "lost", "probability": None, "lost_reason": "Price", "visible_to": 3,
    "close_time": "2025-02-01T08:00:00Z", "won_time": None, "lost_time": "2025-02-01T08:00:00Z",
    "expected_close_date": "2025-03-01", "label_ids": [5, 7], "origin": "API", "origin_id": None,
    "custom_fields": {CHANNEL: 12, REGIONS: [2, 1, 3], CONTRACT: {"value": 2300, "currency": "EUR"}, DISCOUNT: 7.5,
                      RENEWAL: None,
                      CLASH: "ok", "ffffffffffffffffffffffffffffffffffffffff": ["x", 1]},
}


def test_custom_fields_are_named_by_dealfields():
    assert FIELDS == {
        CHANNEL: CustomField(CHANNEL, "partner_channel", "text", None, (("11", "Direct"), ("12", "Reseller"))),
        REGIONS: CustomField(REGIONS, "regions", "text", None, (("1", "DACH"), ("2", "Nordics"))),
        CONTRACT: CustomField(CONTRACT, "contract_value", "decimal", "contract_value_currency"),
        DISCOUNT: CustomField(DISCOUNT, "discountx", "decimal"),  # dlt: "Discount %" -> "Discount_" -> discountx
        RENEWAL: CustomField(RENEWAL, "renewal_date", "date"),
        CLASH: CustomField(CLASH, "_0e5f111111111111111111111111111111111111", "json"),  # 'status' is taken
    }


def test_deal_row_typed_with_custom_fields_in_named_columns():
    row = deal_reader(FIELDS)(DEAL)
    assert row == {
        "id": 1, "title": "Acme renewal", "owner_id": 42, "person_id": 47, "org_id": 12, "pipeline_id": 1,
        "stage_id": 3, "value": Decimal("12000.5"), "currency": "EUR", "status": "lost", "lost_reason": "Price",
        "probability": None, "expected_close_date": date(2025, 3, 1),
        "add_time": datetime(2025, 1, 4, 10, 44, 11, tzinfo=UTC),
        "update_time": datetime(2025, 2, 1, 8, tzinfo=UTC), "stage_change_time": datetime(2025, 1, 20, 9, tzinfo=UTC),
        "won_time": None, "lost_time": datetime(2025, 2, 1, 8, tzinfo=UTC),
        "close_time": datetime(2025, 2, 1, 8, tzinfo=UTC), "is_deleted": False, "is_archived": False,
        "visible_to": 3, "label_ids": "[5, 7]", "origin": "API",
        # enum and set option ids as their labels (3 is no option: kept as its id)
        "partner_channel": "Reseller", "regions": "Nordics, DACH, 3",
        "contract_value": Decimal(2300), "contract_value_currency": "EUR",
        "discountx": Decimal("7.5"), "renewal_date": None, "_0e5f111111111111111111111111111111111111": "ok",
        # a key dealFields does not list (a field created after dealFields was read) loads under its key
        "ffffffffffffffffffffffffffffffffffffffff": '["x", 1]',
    }


def test_deal_schema_declares_custom_columns_and_holds_the_rows():
    schema = deal_schema(FIELDS)
    assert len(schema) == 24 + 7  # 24 standard columns, 6 custom fields + 1 currency
    assert schema.field("contract_value").type == pa.decimal128(38, 9)
    assert schema.field("renewal_date").type == pa.date32()
    assert schema.field("contract_value_currency").type == pa.string()
    assert not schema.field("id").nullable
    deleted = {**DEAL, "id": 2, "is_deleted": True, "custom_fields": {RENEWAL: "2025-06-30"}}
    table = pa.Table.from_pylist([deal_reader(FIELDS)(deleted)], schema=schema)
    assert table.column("is_deleted").to_pylist() == [True]  # deleted deals are kept, flagged
    assert table.column("renewal_date").to_pylist() == [date(2025, 6, 30)]
    assert table.column("contract_value").to_pylist() == [None]


# GET /api/v1/deals/1/changelog items (client-nodejs v1 GetChangelogResponse), newest first, mixed fields
CHANGELOG = [
    {"field_key": "status", "old_value": "won", "new_value": "open", "actor_user_id": 42,
     "time": "2025-01-30 16:00:00", "change_source": "app", "change_source_user_agent": None,
     "is_bulk_update_flag": False},
    {"field_key": "stage_id", "old_value": "5", "new_value": "3", "actor_user_id": 42, "time": "2025-01-30 16:00:00",
     "change_source": "app", "change_source_user_agent": None, "is_bulk_update_flag": False},  # back from 5 to 3
    {"field_key": "stage_id", "old_value": "1", "new_value": "5", "actor_user_id": 43, "time": "2025-01-20 09:00:00",
     "change_source": "api", "change_source_user_agent": "funnelhouse", "is_bulk_update_flag": True},  # 2..4 skipped
    {"field_key": "value", "old_value": "10000", "new_value": "12000.5", "actor_user_id": 42,
     "time": "2025-01-10 08:00:00", "change_source": "app", "change_source_user_agent": None,
     "is_bulk_update_flag": False},
    {"field_key": "stage_id", "old_value": None, "new_value": "1", "actor_user_id": 42,
     "time": "2025-01-04 10:44:11", "change_source": "app", "change_source_user_agent": None,
     "is_bulk_update_flag": False},
]


def test_stage_changes_keep_only_stage_moves_in_time_order():
    rows = stage_change_rows(CHANGELOG, deal_id=1)
    # 5 items: 3 stage_id moves; 2025-01-04 10:44:11 UTC = epoch 1735987451
    assert rows == [
        {"change_id": "1-1735987451--1", "deal_id": 1, "from_stage_id": None, "to_stage_id": 1,
         "changed_at": datetime(2025, 1, 4, 10, 44, 11, tzinfo=UTC), "actor_user_id": 42, "change_source": "app"},
        {"change_id": "1-1737363600-1-5", "deal_id": 1, "from_stage_id": 1, "to_stage_id": 5,
         "changed_at": datetime(2025, 1, 20, 9, tzinfo=UTC), "actor_user_id": 43, "change_source": "api"},
        {"change_id": "1-1738252800-5-3", "deal_id": 1, "from_stage_id": 5, "to_stage_id": 3,
         "changed_at": datetime(2025, 1, 30, 16, tzinfo=UTC), "actor_user_id": 42, "change_source": "app"},
    ]
    assert pa.Table.from_pylist(rows, schema=SCHEMAS["deal_stage_changes"]).num_rows == 3
    # the seed's line carries its deal itself
    assert stage_change_reader()({**CHANGELOG[1], "deal_id": 9})["change_id"] == "9-1738252800-5-3"


def test_persons_organizations_users_stages_pipelines():
    person = {"id": 47, "name": "Jürgen Groß", "first_name": "Jürgen", "last_name": "Groß", "owner_id": 42,
              "org_id": 12, "add_time": "2025-01-04T10:44:11Z", "update_time": "2025-01-05T00:00:00Z",
              "is_deleted": False, "visible_to": 3, "label_ids": [],
              "emails": [{"value": "j.gross@work.example", "primary": False, "label": "work"},
                         {"value": "Juergen@Example.DE", "primary": True, "label": "home"}],
              "phones": [{"value": "+49 30 1234567", "primary": True, "label": "work"}], "custom_fields": {}}
    row = person_reader()(person)
    # kept as sent (staging normalises and protects them); the full lists as JSON
    assert (row["email"], row["phone"], row["label_ids"]) == ("Juergen@Example.DE", "+49 30 1234567", None)
    assert row["emails"] == ('[{"label": "work", "primary": false, "value": "j.gross@work.example"}, '
                             '{"label": "home", "primary": true, "value": "Juergen@Example.DE"}]')
    assert person_reader()({**person, "emails": [], "phones": None})["email"] is None
    org = {"id": 12, "name": "Acme GmbH", "owner_id": 42, "add_time": "2025-01-04T10:44:11Z",
           "update_time": "2025-01-04T10:44:11Z", "is_deleted": False, "visible_to": 3, "label_ids": [],
           "address": {"value": "Unter den Linden 1, Berlin", "country": "Germany", "locality": "Berlin"}}
    assert organization_reader()(org)["address_country"] == "Germany"
    assert organization_reader()({**org, "address": None})["address"] is None
    user = {"id": 42, "name": "Anna Schmidt", "default_currency": "EUR", "locale": "de_DE", "lang": 1,
            "email": "anna@example.de", "phone": None, "activated": True, "last_login": "2026-03-05 14:02:11",
            "created": "2024-01-02 09:00:00", "modified": "2026-03-05 14:02:11", "has_created_company": True,
            "access": [{"app": "sales", "admin": True}], "active_flag": True, "timezone_name": "Europe/Berlin",
            "timezone_offset": "+01:00", "role_id": 1, "icon_url": None, "is_you": True, "is_deleted": False}
    assert user_reader()(user)["last_login"] == datetime(2026, 3, 5, 14, 2, 11, tzinfo=UTC)
    stage = {"id": 3, "order_nr": 3, "name": "Proposal made", "is_deleted": False, "deal_probability": 60,
             "pipeline_id": 1, "is_deal_rot_enabled": False, "days_to_rotten": None,
             "add_time": "2024-01-02T09:00:00Z", "update_time": "2024-01-02T09:00:00Z"}
    assert stage_reader()(stage)["deal_probability"] == Decimal(60)
    pipeline = {"id": 1, "name": "Sales", "order_nr": 1, "is_deleted": False, "is_deal_probability_enabled": True,
                "add_time": "2024-01-02T09:00:00Z", "update_time": "2024-01-02T09:00:00Z"}
    rows = {"persons": person_reader()(person), "organizations": organization_reader()(org),
            "users": user_reader()(user), "stages": stage_reader()(stage), "pipelines": pipeline_reader()(pipeline)}
    for table, row in rows.items():
        assert pa.Table.from_pylist([row], schema=SCHEMAS[table]).to_pylist() == [row], table


def _error(to_row, record):
    with pytest.raises(FieldError) as caught:
        to_row(record)
    return caught.value.field, caught.value.raw_value, caught.value.reason


def test_bad_values_raise_field_errors_saying_what_to_do():
    deals = deal_reader(FIELDS)
    assert _error(deals, {**DEAL, "value": "12k"}) == (
        "value", "12k", "value is not a number: '12k'; correct the value in Pipedrive")
    assert _error(deals, {**DEAL, "status": "deleted"}) == (
        "status", "deleted", "deal status 'deleted' is not open, won or lost; correct the deal in Pipedrive")
    assert _error(deals, {**DEAL, "add_time": "05.03.2026"}) == (
        "add_time", "05.03.2026", "add_time is not a date and time such as 2026-03-05T14:02:11Z: '05.03.2026'; "
                                  "correct the value in Pipedrive")
    assert _error(deals, {**DEAL, "id": None}) == ("id", None, "the deal record has no id; report the raw record")
    assert _error(deals, {**DEAL, "custom_fields": {RENEWAL: "30/06/2025"}}) == (
        f"custom_fields.{RENEWAL}", "30/06/2025",
        f"custom_fields.{RENEWAL} is not a date written YYYY-MM-DD: '30/06/2025'; correct the value in Pipedrive")
    assert _error(deals, {**DEAL, "custom_fields": [1]}) == (
        "custom_fields", [1], "custom_fields is not a JSON object; report the raw record")
    assert _error(deals, "deal") == ("record", "deal", "a deal record is not a JSON object; report the raw record")
    changes = stage_change_reader(1)
    assert _error(changes, {**CHANGELOG[1], "new_value": "three"}) == (
        "new_value", "three", "new_value is not a number: 'three'; correct the value in Pipedrive")
    assert _error(changes, {**CHANGELOG[1], "time": None}) == (
        "time", None, "the stage change has no time; report the raw record")
    assert _error(person_reader(), {"id": 47, "emails": "a@b.example"}) == (
        "emails", "a@b.example", "emails is not a list of {value, primary, label} entries; report the raw record")


def test_settings_state_what_is_read():
    assert [spec.table for spec in ENTITIES] == ["deals", "pipelines", "stages", "persons", "organizations", "users"]
    assert (DEALS.path, DEALS.since_param, DEALS.sweeps, PAGE_LIMIT) == (
        "api/v2/deals", "updated_since", ({"status": "deleted"},), 500)
    assert DEALS.children[0].path == "api/v1/deals/{id}/changelog"
    assert sorted(COLUMNS) == sorted(RAW_TABLES) == sorted(SCHEMAS)
