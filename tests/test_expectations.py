"""Great Expectations suites (expectations/) on small hand-written DuckDB warehouses: exact outcomes."""
from __future__ import annotations

import ast
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from expectations import ERROR, SUITES, WARN, SuiteResult, suites_for_table, validate
from expectations.rules import PHONE_E164, PHONE_TYPED, row_count_bounds

AS_OF = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
PAST = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)


# ------------------------------------------------------------------------------------------------ tiny warehouse
TABLES: dict[str, dict[str, str]] = {
    "raw_forms.form_submissions": {
        "submission_id": "varchar", "form_tool": "varchar", "form_id": "varchar", "form_name": "varchar",
        "submitted_at": "timestamptz", "email": "varchar", "phone": "varchar", "name": "varchar", "company": "varchar",
        "channel": "varchar", "data_issues": "varchar", "source_file": "varchar", "source_row": "bigint",
    },
    "raw_spreadsheets.tracker_deals": {
        "customer_name": "varchar", "contact_phone": "varchar", "stage_raw": "varchar", "stage_code": "varchar",
        "stage_entered_on": "date", "previous_stage_days": "bigint", "owner_name": "varchar",
        "amount_cny": "decimal(18,2)", "team": "varchar", "source_file": "varchar", "source_row": "bigint",
    },
    "raw_spreadsheets.export_deals": {
        "deal_id": "varchar", "account_name": "varchar", "contact_phone": "varchar", "contact_email": "varchar",
        "stage_raw": "varchar", "stage_code": "varchar", "stage_entered_on": "date", "created_on": "date",
        "owner_name": "varchar", "amount_cny": "decimal(18,2)", "source_file": "varchar", "source_row": "bigint",
    },
    "raw_hubspot.deals": {
        "id": "varchar", "dealname": "varchar", "amount": "decimal(38,9)", "pipeline": "varchar", "dealstage": "varchar",
        "createdate": "timestamptz", "hs_lastmodifieddate": "timestamptz", "closedate": "timestamptz",
    },
    "raw_hubspot.contacts": {
        "id": "varchar", "email": "varchar", "phone": "varchar", "createdate": "timestamptz",
        "lastmodifieddate": "timestamptz",
    },
    "raw_salesforce.opportunities": {
        "id": "varchar", "name": "varchar", "stage_name": "varchar", "amount": "decimal(38,9)",
        "currency_iso_code": "varchar", "close_date": "date", "created_date": "timestamptz",
        "system_modstamp": "timestamptz", "is_deleted": "boolean",
    },
    "raw_salesforce.opportunity_history": {
        "id": "varchar", "opportunity_id": "varchar", "stage_name": "varchar", "amount": "decimal(38,9)",
        "created_date": "timestamptz",
    },
    "raw_pipedrive.deals": {
        "id": "bigint", "title": "varchar", "pipeline_id": "bigint", "stage_id": "bigint", "status": "varchar",
        "value": "decimal(38,9)", "currency": "varchar", "add_time": "timestamptz", "update_time": "timestamptz",
        "is_deleted": "boolean",
    },
    "raw_pipedrive.stages": {"id": "bigint", "name": "varchar", "pipeline_id": "bigint", "order_nr": "bigint"},
    "raw_pipedrive.deal_stage_changes": {
        "change_id": "varchar", "deal_id": "bigint", "from_stage_id": "bigint", "to_stage_id": "bigint",
        "changed_at": "timestamptz",
    },
    "raw_zoho.deals": {
        "id": "varchar", "deal_name": "varchar", "stage": "varchar", "amount": "decimal(38,9)", "currency": "varchar",
        "closing_date": "date", "created_time": "timestamptz", "modified_time": "timestamptz",
    },
    "raw_zoho.deal_stage_history": {
        "id": "varchar", "deal_id": "varchar", "stage": "varchar", "amount": "decimal(38,9)",
        "modified_time": "timestamptz",
    },
    "raw_fxiaoke.deals": {
        "deal_id": "varchar", "deal_name": "varchar", "stage": "varchar", "amount": "decimal(38,9)",
        "currency_code": "varchar", "created_at": "timestamptz", "modified_at": "timestamptz", "is_deleted": "boolean",
    },
    "raw_fxiaoke.deal_stage_changes": {
        "change_id": "varchar", "deal_id": "varchar", "stage": "varchar", "from_stage": "varchar",
        "changed_at": "timestamptz",
    },
    "marts.mart_funnel_conversion": {
        "segment_type": "varchar", "segment_value": "varchar", "stage_code": "varchar", "stage_order": "integer",
        "stage_type": "varchar", "deals_in_segment": "integer", "reached": "integer", "entered": "integer",
        "advanced": "integer", "won_later": "integer", "lost_here": "integer",
        "adjacent_conversion_rate": "decimal(28,6)", "cumulative_conversion_rate": "decimal(28,6)",
        "win_rate": "decimal(28,6)", "as_of_date": "date",
    },
    "marts.fct_deal_stage_events": {"deal_id": "varchar", "to_stage_code": "varchar"},
    "marts.fct_deals": {"deal_id": "varchar", "is_won": "boolean"},
    "marts.mart_loss_reasons": {
        "lost_month": "date", "loss_reason_code": "varchar", "lost_from_stage_code": "varchar", "lost_deals": "integer",
        "share_of_month": "decimal(28,6)", "amount_lost_reporting": "decimal(28,6)", "as_of_date": "date",
    },
}


def put(connection: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """(Re)create `table` with its TABLES columns and insert `rows` (missing keys are null)."""
    columns = TABLES[table]
    connection.execute(f"create schema if not exists {table.split('.')[0]}")
    connection.execute(f"create or replace table {table} ({', '.join(f'{n} {t}' for n, t in columns.items())})")
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, unknown
        connection.execute(
            f"insert into {table} values ({', '.join('?' for _ in columns)})", [row.get(name) for name in columns]
        )


@pytest.fixture
def db(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def failed(result: SuiteResult) -> list[tuple[str, str, str | None, int]]:
    return [(o.severity, o.expectation, o.column, o.failing_rows) for o in result.outcomes if not o.success]


# ------------------------------------------------------------------------------------------------ raw rows
def hubspot_deal(id_: str, **changes: Any) -> dict[str, Any]:
    return {"id": id_, "dealname": f"Deal {id_}", "amount": 1000, "pipeline": "default", "dealstage": "closedwon",
            "createdate": PAST, "hs_lastmodifieddate": PAST, **changes}


def form_row(id_: str, **changes: Any) -> dict[str, Any]:
    return {"submission_id": id_, "form_tool": "typeform", "submitted_at": PAST, "email": f"{id_}@example.cn",
            "phone": "+8613800138000", "source_file": "typeform/a.jsonl", "source_row": 1, **changes}


def tracker_row(customer: str, **changes: Any) -> dict[str, Any]:
    return {"customer_name": customer, "contact_phone": "+862162345678", "stage_raw": "意向", "stage_code": "interest",
            "stage_entered_on": date(2026, 3, 2), "previous_stage_days": 3, "owner_name": "王磊",
            "amount_cny": 350000, "team": "华东", "source_file": "销售跟进表_华东.xlsx", "source_row": 2, **changes}


def export_row(deal_id: str, **changes: Any) -> dict[str, Any]:
    return {"deal_id": deal_id, "account_name": "Acme", "contact_phone": "+8613800138000",
            "contact_email": "li.lei@acme.cn", "stage_raw": "Proposal", "stage_code": "proposal",
            "stage_entered_on": date(2026, 3, 2), "created_on": date(2026, 2, 1), "owner_name": "Li",
            "amount_cny": 120000, "source_file": "pipeline_export_en.csv", "source_row": 2, **changes}


# ------------------------------------------------------------------------------------------------ registry
def test_suites_cover_raw_tables_and_marts_and_never_import_dagster():
    tables = {suite.table for suite in SUITES.values()}
    assert {
        "raw_forms.form_submissions", "raw_spreadsheets.tracker_deals", "raw_spreadsheets.export_deals",
        "raw_spreadsheets.export_stage_changes", "raw_hubspot.deals", "raw_hubspot.contacts",
        "raw_salesforce.opportunities", "raw_salesforce.opportunity_history", "raw_pipedrive.deals",
        "raw_pipedrive.deal_stage_changes", "raw_zoho.deals", "raw_zoho.deal_stage_history", "raw_fxiaoke.deals",
        "raw_fxiaoke.deal_stage_changes", "marts.mart_funnel_conversion", "marts.mart_loss_reasons", "marts.mart_stale_deals",
    } <= tables
    assert [s.name for s in suites_for_table("MARTS.mart_funnel_conversion")] == [
        "marts__mart_funnel_conversion", "marts__mart_funnel_conversion__reconciliation",
    ]
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", table) for table in tables)
    for path in (Path(__file__).parents[1] / "expectations").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(name.split(".")[0] == "dagster" for name in names), path


def test_row_count_bounds():
    assert row_count_bounds(None) == (0, None)
    assert row_count_bounds(0) == (0, None)
    assert row_count_bounds(10) == (5, 100)
    assert row_count_bounds(5) == (3, 50)  # shrinking to 2.5 rows or fewer is more than 50%


def test_phone_formats_accept_what_the_loaders_write():
    from ingestion.common.parsing import normalize_phone

    typed = ["+86 138 0013 8000", "13800138000", "138-0013-8000", "+8613800138000", "138 0013 8000",
             "86-13800138000", "(021) 6234 5678", "021-62345678", "(0512) 8818 7547", "0512-88187547",
             "+86 21 6234 5678", "0086 138 0013 8000", "010-12345678", "+44 20 7946 0958"]
    for text in typed:
        assert re.search(PHONE_TYPED, text), text
        assert re.search(PHONE_E164, normalize_phone("phone", text)), text
    for bad in ["1380013", "n/a", "待补充", "1380013800", "+86 138 0013", "13800138000x", "+86abc"]:
        assert not re.search(PHONE_TYPED, bad), bad
        assert not re.search(PHONE_E164, bad), bad
    assert not re.search(PHONE_E164, "13800138000")  # typed, not normalised


# ------------------------------------------------------------------------------------------------ raw suites
def test_clean_hubspot_deals_pass(db):
    put(db, "raw_hubspot.deals", [hubspot_deal("1"), hubspot_deal("2", dealstage="1003", pipeline="84512367")])
    result = validate(db, "raw_hubspot__deals", as_of=AS_OF)
    assert result.success and not result.blocking
    assert (result.suite, result.table, result.rows) == ("raw_hubspot__deals", "raw_hubspot.deals", 2)
    assert len(result.outcomes) == 11
    assert result.failing_rows == 0 and result.errors == [] and result.warnings == []
    assert result.summary() == "raw_hubspot__deals on raw_hubspot.deals (2 rows): passed 11 expectations"


def test_missing_required_field_unmapped_stage_and_negative_amount(db):
    put(db, "raw_hubspot.deals", [
        hubspot_deal("1", dealname=None),
        hubspot_deal("2", dealstage="brandnewstage"),
        hubspot_deal("3", amount=-5),
        hubspot_deal("4"),
    ])
    result = validate(db, "raw_hubspot__deals", as_of=AS_OF)
    assert failed(result) == [
        (ERROR, "expect_column_values_to_not_be_null", "dealname", 1),
        (WARN, "expect_column_values_to_be_in_set", "dealstage", 1),
        (ERROR, "expect_column_values_to_be_between", "amount", 1),
    ]
    assert result.blocking and not result.success
    assert [o.column for o in result.errors] == ["dealname", "amount"]
    assert [o.column for o in result.warnings] == ["dealstage"]
    assert result.failing_rows == 3
    unmapped = result.warnings[0]
    assert "'brandnewstage' ×1" in unmapped.detail and "id='2'" in unmapped.detail
    assert "2 ERROR, 1 WARN of 11" in result.summary()


def test_invalid_stage_code_and_negative_amount_in_spreadsheets(db):
    put(db, "raw_spreadsheets.tracker_deals", [
        tracker_row("甲公司"), tracker_row("乙公司", stage_code="closing"), tracker_row("丙公司", stage_code="won"),
    ])
    put(db, "raw_spreadsheets.export_deals", [export_row("D-1"), export_row("D-2", amount_cny=-100)])
    tracker = validate(db, "raw_spreadsheets__tracker_deals", as_of=AS_OF)
    assert failed(tracker) == [(ERROR, "expect_column_values_to_be_in_set", "stage_code", 1)]
    assert tracker.blocking
    export = validate(db, "raw_spreadsheets__export_deals", as_of=AS_OF)
    assert failed(export) == [(ERROR, "expect_column_values_to_be_between", "amount_cny", 1)]
    assert "deal_id='D-2'" in export.errors[0].detail


def salesforce_opportunity(id_: str, **changes: Any) -> dict[str, Any]:
    return {"id": id_, "name": f"Opportunity {id_}", "stage_name": "Prospecting", "amount": 5000,
            "currency_iso_code": "USD", "close_date": date(2026, 4, 30), "created_date": PAST,
            "system_modstamp": PAST, "is_deleted": False, **changes}


def pipedrive_deal(id_: int, **changes: Any) -> dict[str, Any]:
    return {"id": id_, "title": f"Deal {id_}", "pipeline_id": 1, "stage_id": 1, "status": "open", "value": 1200,
            "currency": "EUR", "add_time": PAST, "update_time": PAST, "is_deleted": False, **changes}


def test_salesforce_opportunities_unmapped_stage_unknown_currency_negative_amount_no_close_date(db):
    put(db, "raw_salesforce.opportunities", [
        salesforce_opportunity("006A"),
        salesforce_opportunity("006B", stage_name="Discovery"),  # not a stage of funnel_stage_map (salesforce)
        salesforce_opportunity("006C", currency_iso_code="JPY"),  # no rate in fx_rates.csv
        salesforce_opportunity("006D", amount=-5),
        salesforce_opportunity("006E", close_date=None, stage_name="Closed Won", is_deleted=True),
    ])
    result = validate(db, "raw_salesforce__opportunities", as_of=AS_OF)
    # 6 required, unique, mapped stage, amount, currency, 2 not in the future, row count
    assert len(result.outcomes) == 13
    assert failed(result) == [
        (ERROR, "expect_column_values_to_not_be_null", "close_date", 1),
        (WARN, "expect_column_values_to_be_in_set", "stage_name", 1),
        (ERROR, "expect_column_values_to_be_between", "amount", 1),
        (WARN, "expect_column_values_to_be_in_set", "currency_iso_code", 1),
    ]
    assert "'Discovery' ×1" in result.warnings[0].detail and "id='006B'" in result.warnings[0].detail
    assert "'JPY' ×1" in result.warnings[1].detail
    assert result.blocking and result.failing_rows == 4


def test_pipedrive_deals_take_the_stage_name_while_open_and_the_status_once_closed(db):
    put(db, "raw_pipedrive.stages", [{"id": 1, "name": "Qualified", "pipeline_id": 1, "order_nr": 1},
                                     {"id": 2, "name": "Contact Made", "pipeline_id": 1, "order_nr": 2},
                                     {"id": 9, "name": "Onboarding", "pipeline_id": 1, "order_nr": 9}])
    put(db, "raw_pipedrive.deals", [
        pipedrive_deal(1),
        pipedrive_deal(2, stage_id=2, status="won"),  # funnel stage 'won'
        pipedrive_deal(3, stage_id=9),  # open in 'Onboarding', which the funnel map does not list
        pipedrive_deal(4, status="deleted"),  # v2 says deleted through is_deleted, never in status
        pipedrive_deal(5, stage_id=9, status="lost", value=-10, currency="CHF"),  # 'lost' is mapped, not its stage
    ])
    result = validate(db, "raw_pipedrive__deals", as_of=AS_OF)
    # 7 required, unique, status, mapped stage, value, currency, 2 not in the future, row count
    assert len(result.outcomes) == 15
    assert failed(result) == [
        (ERROR, "expect_column_values_to_be_in_set", "status", 1),
        (WARN, "expect_column_values_to_be_in_set", "funnel_stage", 1),
        (ERROR, "expect_column_values_to_be_between", "value", 1),
        (WARN, "expect_column_values_to_be_in_set", "currency", 1),
    ]
    assert "'Onboarding' ×1" in result.warnings[0].detail and "id=3" in result.warnings[0].detail
    assert "'deleted' ×1" in result.errors[0].detail


def zoho_deal(id_: str, **changes: Any) -> dict[str, Any]:
    return {"id": id_, "deal_name": f"Deal {id_}", "stage": "Qualification", "amount": 25000, "currency": "USD",
            "closing_date": date(2026, 4, 30), "created_time": PAST, "modified_time": PAST, **changes}


def fxiaoke_deal(id_: str, **changes: Any) -> dict[str, Any]:
    return {"deal_id": id_, "deal_name": f"商机 {id_}", "stage": "验证客户", "amount": 350000, "currency_code": "CNY",
            "created_at": PAST, "modified_at": PAST, "is_deleted": False, **changes}


def test_zoho_deals_and_stage_history_fail_on_crafted_rows(db):
    put(db, "raw_zoho.deals", [
        zoho_deal("5725767000000419001"),
        zoho_deal("5725767000000419002", stage="Closed Won"),
        zoho_deal("5725767000000419003", stage="Onboarding"),  # not a Zoho stage of funnel_stage_map
        zoho_deal("5725767000000419004", amount=-1, currency="JPY"),  # negative; JPY has no rate in fx_rates.csv
        zoho_deal("5725767000000419005", deal_name=None, modified_time=AS_OF + timedelta(days=3)),
    ])
    deals = validate(db, "raw_zoho__deals", as_of=AS_OF)
    # 5 required, unique, mapped stage, amount, currency, 2 not in the future, row count
    assert len(deals.outcomes) == 12
    assert failed(deals) == [
        (ERROR, "expect_column_values_to_not_be_null", "deal_name", 1),
        (WARN, "expect_column_values_to_be_in_set", "stage", 1),
        (ERROR, "expect_column_values_to_be_between", "amount", 1),
        (WARN, "expect_column_values_to_be_in_set", "currency", 1),
        (WARN, "expect_column_values_to_be_between", "modified_time", 1),
    ]
    assert "'Onboarding' ×1" in deals.warnings[0].detail and "id='5725767000000419003'" in deals.warnings[0].detail
    move = {"deal_id": "5725767000000419001", "stage": "Needs Analysis", "amount": 25000, "modified_time": PAST}
    put(db, "raw_zoho.deal_stage_history", [
        {"id": "5725767000000500001", **move},
        {"id": "5725767000000500002", **move, "stage": "Closed (Lost)"},  # unmapped
        {"id": "5725767000000500002", **move, "deal_id": None},  # a repeated id without its deal
    ])
    history = validate(db, "raw_zoho__deal_stage_history", as_of=AS_OF)
    assert failed(history) == [(ERROR, "expect_column_values_to_not_be_null", "deal_id", 1),
                               (ERROR, "expect_column_values_to_be_unique", "id", 2),
                               (WARN, "expect_column_values_to_be_in_set", "stage", 1)]


def test_fxiaoke_deals_and_stage_changes_map_their_chinese_stages(db):
    put(db, "raw_fxiaoke.deals", [
        fxiaoke_deal("O1"),
        fxiaoke_deal("O2", stage="赢单", is_deleted=True),  # 作废 deals stay in raw, flagged
        fxiaoke_deal("O3", stage="初步接洽"),  # a label the funnel map does not list for fxiaoke
        fxiaoke_deal("O4", amount=-500000, currency_code=None),
        fxiaoke_deal("O4", created_at=AS_OF + timedelta(days=2)),
    ])
    deals = validate(db, "raw_fxiaoke__deals", as_of=AS_OF)
    # 5 required, unique, mapped stage, amount, currency, 2 not in the future, row count
    assert len(deals.outcomes) == 12
    assert failed(deals) == [
        (ERROR, "expect_column_values_to_be_unique", "deal_id", 2),
        (WARN, "expect_column_values_to_be_in_set", "stage", 1),
        (ERROR, "expect_column_values_to_be_between", "amount", 1),
        (WARN, "expect_column_values_to_be_between", "created_at", 1),
    ]
    assert "'初步接洽' ×1" in deals.warnings[0].detail and "deal_id='O3'" in deals.warnings[0].detail
    move = {"deal_id": "O1", "stage": "需求确定", "from_stage": "验证客户", "changed_at": PAST}
    put(db, "raw_fxiaoke.deal_stage_changes", [
        {"change_id": "C1", **move},
        {"change_id": "C2", **move, "stage": "3"},  # an option value the describe did not translate
        {"change_id": "C3", **move, "changed_at": None},
    ])
    changes = validate(db, "raw_fxiaoke__deal_stage_changes", as_of=AS_OF)
    assert failed(changes) == [(ERROR, "expect_column_values_to_not_be_null", "changed_at", 1),
                               (WARN, "expect_column_values_to_be_in_set", "stage", 1)]
    assert "'3' ×1" in changes.warnings[0].detail


def test_crm_stage_histories_unmapped_stage_and_repeated_move(db):
    put(db, "raw_salesforce.opportunity_history", [
        {"id": "008A", "opportunity_id": "006A", "stage_name": "Prospecting", "amount": 5000, "created_date": PAST},
        {"id": "008B", "opportunity_id": "006A", "stage_name": "Discovery", "amount": 5000, "created_date": PAST},
        {"id": "008C", "opportunity_id": "006A", "stage_name": "Closed Won", "amount": None,
         "created_date": AS_OF + timedelta(days=3)},
    ])
    history = validate(db, "raw_salesforce__opportunity_history", as_of=AS_OF)
    assert failed(history) == [(WARN, "expect_column_values_to_be_in_set", "stage_name", 1),
                               (WARN, "expect_column_values_to_be_between", "created_date", 1)]
    assert not history.blocking
    move = {"deal_id": 1, "from_stage_id": 1, "to_stage_id": 2, "changed_at": PAST}
    put(db, "raw_pipedrive.deal_stage_changes", [{"change_id": "1-1772357400-1-2", **move},
                                                 {"change_id": "1-1772357400-1-2", **move},
                                                 {"change_id": "1-1772443800-2-3", **move, "to_stage_id": None}])
    changes = validate(db, "raw_pipedrive__deal_stage_changes", as_of=AS_OF)
    assert failed(changes) == [(ERROR, "expect_column_values_to_not_be_null", "to_stage_id", 1),
                               (ERROR, "expect_column_values_to_be_unique", "change_id", 2)]


def test_future_dates_warn_with_one_day_of_slack(db):
    put(db, "raw_forms.form_submissions", [
        form_row("a"),
        form_row("b", submitted_at=AS_OF + timedelta(hours=20)),  # within the day of slack
        form_row("c", submitted_at=AS_OF + timedelta(days=3)),
    ])
    put(db, "raw_spreadsheets.tracker_deals", [
        tracker_row("甲公司", stage_entered_on=date(2026, 4, 1)),  # the day after as_of: slack
        tracker_row("乙公司", stage_entered_on=date(2026, 4, 2)),
        tracker_row("丙公司", stage_entered_on=date(2026, 5, 1)),
    ])
    forms = validate(db, "raw_forms__form_submissions", as_of=AS_OF)
    assert failed(forms) == [(WARN, "expect_column_values_to_be_between", "submitted_at", 1)]
    assert not forms.blocking and not forms.success
    assert "submission_id='c'" in forms.warnings[0].detail
    tracker = validate(db, "raw_spreadsheets__tracker_deals", as_of=AS_OF)
    assert failed(tracker) == [(WARN, "expect_column_values_to_be_between", "stage_entered_on", 2)]
    # a date as_of means the end of that day
    assert failed(validate(db, "raw_spreadsheets__tracker_deals", as_of=date(2026, 3, 31))) == failed(tracker)
    assert failed(validate(db, "raw_spreadsheets__tracker_deals", as_of=date(2026, 4, 30))) == []


def test_bad_emails_and_phones_warn_with_exact_counts(db):
    put(db, "raw_forms.form_submissions", [
        form_row("a"),
        form_row("b", email="not-an-email"),
        form_row("c", email="x@y"),
        form_row("d", phone="13800138000"),  # typed, not the loader's E.164
        form_row("e", phone="+86 138 0013 8000"),
        form_row("f", phone="n/a"),
        form_row("g", email=None, phone="+862162345678"),
        form_row("h", email=None, phone=None),  # no contact at all: the loader never writes this
    ])
    result = validate(db, "raw_forms__form_submissions", as_of=AS_OF)
    assert failed(result) == [
        (ERROR, "expect_column_values_to_be_in_set", "has_no_contact", 1),
        (WARN, "expect_column_values_to_match_regex", "email", 2),
        (WARN, "expect_column_values_to_match_regex", "phone", 3),
    ]
    assert result.failing_rows == 6
    put(db, "raw_hubspot.contacts", [
        {"id": "1", "email": "a@b.cn", "phone": "138-0013-8000", "createdate": PAST},
        {"id": "2", "email": "A.B@Example.COM", "phone": "(021) 6234 5678", "createdate": PAST},
        {"id": "3", "email": "a b@c.cn", "phone": "待补充", "createdate": PAST},
        {"id": "4", "email": None, "phone": "1380013", "createdate": PAST},
    ])
    contacts = validate(db, "raw_hubspot__contacts", as_of=AS_OF)
    assert failed(contacts) == [
        (WARN, "expect_column_values_to_match_regex", "email", 1),
        (WARN, "expect_column_values_to_match_regex", "phone", 2),
    ]
    assert not contacts.blocking


def test_a_large_frame_validated_in_chunks_gives_the_whole_frame_outcomes(db):
    """5,001 rows in chunks of 2,048 (DuckDB's vector): failures in the first and the last chunk, a duplicate id
    (checked on the whole column) — the same outcomes, counts and examples as one frame."""
    rows = [form_row(f"s{i:04d}") for i in range(5000)]
    rows[10] = form_row("s0010", email="not-an-email")
    rows[3000] = form_row("s3000", email="x@y")
    rows[4500] = form_row("s4500", email=None, phone=None)
    rows[4999] = form_row("s4999", phone="n/a")
    rows.append(form_row("s0007"))
    put(db, "raw_forms.form_submissions", rows)
    whole = validate(db, "raw_forms__form_submissions", as_of=AS_OF)
    chunked = validate(db, "raw_forms__form_submissions", as_of=AS_OF, chunk_rows=2048)
    assert failed(chunked) == [
        (ERROR, "expect_column_values_to_be_unique", "submission_id", 2),
        (ERROR, "expect_column_values_to_be_in_set", "has_no_contact", 1),
        (WARN, "expect_column_values_to_match_regex", "email", 2),
        (WARN, "expect_column_values_to_match_regex", "phone", 1),
    ]
    assert chunked.rows == whole.rows == 5001
    assert [(o.expectation, o.column, o.success, o.failing_rows, o.detail) for o in chunked.outcomes] == [
        (o.expectation, o.column, o.success, o.failing_rows, o.detail) for o in whole.outcomes]
    email = next(o for o in chunked.outcomes if o.column == "email" and not o.success)
    assert email.detail == ("2 of 5001 rows; values: 'n***-a***-e***' ×1, 'x***@y***' ×1; "  # masked
                            "e.g. submission_id='s0010' | submission_id='s3000'")

    # a compound key, split by a hash of its four columns: the duplicate pair meets in one part
    trackers = [tracker_row(f"客户{i:04d}") for i in range(3000)] + [tracker_row("客户2999")]
    put(db, "raw_spreadsheets.tracker_deals", trackers)
    whole = validate(db, "raw_spreadsheets__tracker_deals", as_of=AS_OF)
    chunked = validate(db, "raw_spreadsheets__tracker_deals", as_of=AS_OF, chunk_rows=1000)
    assert failed(chunked) == failed(whole) == [(ERROR, "expect_compound_columns_to_be_unique",
                                                 "team, customer_name, stage_code, stage_entered_on", 2)]
    assert [(o.expectation, o.column, o.failing_rows, o.detail) for o in chunked.outcomes] == [
        (o.expectation, o.column, o.failing_rows, o.detail) for o in whole.outcomes]


def test_row_count_shrinking_beyond_the_bound_warns_on_the_next_run(db, tmp_path):
    results = tmp_path / "gx"
    put(db, "raw_hubspot.deals", [hubspot_deal(str(i)) for i in range(10)])
    first = validate(db, "raw_hubspot__deals", as_of=AS_OF, results_dir=results)
    assert first.success
    put(db, "raw_hubspot.deals", [hubspot_deal(str(i)) for i in range(5)])  # exactly half: within bounds
    assert validate(db, "raw_hubspot__deals", as_of=AS_OF, results_dir=results).success
    put(db, "raw_hubspot.deals", [hubspot_deal(str(i)) for i in range(2)])
    shrunk = validate(db, "raw_hubspot__deals", as_of=AS_OF, results_dir=results)
    assert failed(shrunk) == [(WARN, "expect_table_row_count_to_be_between", None, 0)]
    assert shrunk.warnings[0].detail == "2 rows, allowed 3..50 (previous run 5)"
    assert not shrunk.blocking
    # without results_dir there is no previous run: anything goes
    assert validate(db, "raw_hubspot__deals", as_of=AS_OF).success
    put(db, "raw_hubspot.deals", [hubspot_deal(str(i)) for i in range(21)])  # > 10x the 2 rows of the last run
    grown = validate(db, "raw_hubspot__deals", as_of=AS_OF, results_dir=results)
    assert failed(grown) == [(WARN, "expect_table_row_count_to_be_between", None, 0)]


def test_results_are_kept_as_json_with_an_index(db, tmp_path):
    results = tmp_path / "gx"
    put(db, "raw_hubspot.deals", [hubspot_deal("1"), hubspot_deal("2", dealname=None)])
    put(db, "raw_forms.form_submissions", [form_row("a")])
    deals = validate(db, "raw_hubspot__deals", as_of=AS_OF, results_dir=results)
    validate(db, SUITES["raw_forms__form_submissions"], as_of=AS_OF, results_dir=results)
    validate(db, "raw_forms__form_submissions", as_of=AS_OF, results_dir=results)

    folder = results / "raw_hubspot__deals"
    assert deals.result_path is not None and deals.result_path.parent == folder
    assert re.fullmatch(r"\d{8}T\d{12}Z\.json", deals.result_path.name)
    assert sorted(p.name for p in folder.iterdir()) == sorted([deals.result_path.name, "latest.json"])
    document = json.loads((folder / "latest.json").read_text(encoding="utf-8"))
    assert document == json.loads(deals.result_path.read_text(encoding="utf-8"))
    assert document["suite_name"] == "raw_hubspot__deals" and document["success"] is False
    assert len(document["results"]) == 11
    configs = [r["expectation_config"] for r in document["results"]]
    severities = {c["kwargs"].get("column"): c["meta"]["severity"]
                  for c in configs if c["type"] == "expect_column_values_to_not_be_null"}
    assert severities == {"id": ERROR, "dealname": ERROR, "pipeline": ERROR, "dealstage": ERROR, "createdate": ERROR}
    ours = document["meta"]["funnelhouse"]
    assert (ours["rows"], ours["blocking"], ours["failing_rows"]) == (2, True, 1)
    assert len(list((results / "raw_forms__form_submissions").glob("*.json"))) == 3  # 2 runs + latest

    index = (results / "index.html").read_text(encoding="utf-8").split("<tbody>")[1]
    assert index.count("<tr><td>") == 2
    assert 'href="raw_hubspot__deals/latest.json"' in index and "raw_forms__form_submissions" in index
    assert "expect_column_values_to_not_be_null (dealname): 1 rows" in index
    assert index.count('class="error">ERROR') == 1 and index.count('class="ok">passed') == 1


# ------------------------------------------------------------------------------------------------ marts
STAGES = [("lead", 1, "open"), ("interest", 2, "open"), ("need", 3, "open"), ("proposal", 4, "open"),
          ("negotiation", 5, "open"), ("won", 6, "won"), ("lost", 7, "lost")]


def funnel_rows(segment_type: str, segment_value: str, deals: int, reached: list[int],
                entered: list[int] | None = None) -> list[dict[str, Any]]:
    """One segment's rows of mart_funnel_conversion; reached/entered per stage in STAGES order."""
    entered = entered or reached
    rows = []
    for index, (code, order, kind) in enumerate(STAGES):
        following = reached[index + 1] if kind == "open" else None
        rows.append({
            "segment_type": segment_type, "segment_value": segment_value, "stage_code": code, "stage_order": order,
            "stage_type": kind, "deals_in_segment": deals, "reached": reached[index], "entered": entered[index],
            "advanced": 0, "won_later": min(reached[5], reached[index]), "lost_here": 0,
            "adjacent_conversion_rate": (
                round(following / reached[index], 4) if following is not None and reached[index] else None
            ),
            "cumulative_conversion_rate": round(reached[index] / deals, 4),
            "win_rate": round(min(reached[5], reached[index]) / reached[index], 4) if reached[index] else None,
            "as_of_date": date(2026, 3, 31),
        })
    return rows


def test_a_funnel_that_widens_blocks_with_the_exact_rows(db):
    put(db, "marts.mart_funnel_conversion", [
        *funnel_rows("overall", "all", 10, [10, 8, 8, 5, 4, 3, 6]),  # lost (6) > won (3): not part of the funnel
        *funnel_rows("channel", "ads", 10, [5, 6, 4, 4, 5, 2, 1]),  # widens at interest and at negotiation
        *funnel_rows("channel", "seo", 10, [5, 2, 2, 1, 0, 0, 5]),
    ])
    result = validate(db, "marts__mart_funnel_conversion", as_of=AS_OF)
    assert result.rows == 21
    # the widening stages also have an adjacent rate above 1 on the stage before them
    assert failed(result) == [
        (ERROR, "expect_column_values_to_be_between", "adjacent_conversion_rate", 2),
        (ERROR, "expect_column_values_to_be_in_set", "widens", 2),
    ]
    assert result.blocking and result.failing_rows == 4
    widens = next(o for o in result.errors if o.column == "widens")
    assert "segment_value='ads', stage_code='interest'" in widens.detail
    assert "segment_value='ads', stage_code='negotiation'" in widens.detail

    frame = db.execute(SUITES["marts__mart_funnel_conversion"].query).df()
    assert sorted(map(tuple, frame.loc[frame.widens, ["segment_value", "stage_code"]].values)) == [
        ("ads", "interest"), ("ads", "negotiation"),
    ]


def test_a_funnel_that_narrows_with_rates_in_range_passes(db):
    put(db, "marts.mart_funnel_conversion", [
        *funnel_rows("overall", "all", 10, [10, 8, 8, 5, 4, 3, 6]),
        *funnel_rows("channel", "seo", 4, [4, 4, 3, 3, 3, 3, 1]),
    ])
    result = validate(db, "marts__mart_funnel_conversion", as_of=AS_OF)
    assert result.success and failed(result) == [] and result.rows == 14


def test_rates_outside_zero_one_are_errors(db):
    rows = funnel_rows("overall", "all", 10, [10, 8, 8, 5, 4, 3, 6])
    rows[2]["win_rate"] = 1.5
    rows[0]["cumulative_conversion_rate"] = 1.2  # the first stage: no stage before it to widen from
    put(db, "marts.mart_funnel_conversion", rows)
    assert failed(validate(db, "marts__mart_funnel_conversion", as_of=AS_OF)) == [
        (ERROR, "expect_column_values_to_be_between", "cumulative_conversion_rate", 1),
        (ERROR, "expect_column_values_to_be_between", "win_rate", 1),
    ]


def _reconciliation_warehouse(db, overall_entered: list[int]) -> None:
    # d1: lead -> interest -> won; d2: lead -> lost; d3: interest (open)
    put(db, "marts.fct_deal_stage_events", [
        {"deal_id": d, "to_stage_code": s}
        for d, s in [("d1", "lead"), ("d1", "interest"), ("d1", "won"), ("d2", "lead"), ("d2", "lost"),
                     ("d3", "interest"), ("d3", "interest")]  # a re-entry counts once
    ])
    put(db, "marts.fct_deals", [{"deal_id": "d1", "is_won": True}, {"deal_id": "d2", "is_won": False},
                                {"deal_id": "d3", "is_won": False}])
    #                                       lead int need prop nego won lost
    put(db, "marts.mart_funnel_conversion", [
        *funnel_rows("overall", "all", 3, [3, 2, 1, 1, 1, 1, 1], overall_entered),
        *funnel_rows("channel", "ads", 2, [2, 2, 1, 1, 1, 1, 0], [1, 2, 0, 0, 0, 1, 0]),
        *funnel_rows("channel", "seo", 1, [1, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1]),
    ])


def test_stage_counts_that_reconcile_with_the_fact_pass(db):
    _reconciliation_warehouse(db, [2, 2, 0, 0, 0, 1, 1])
    result = validate(db, "marts__mart_funnel_conversion__reconciliation", as_of=AS_OF)
    assert result.success and result.rows == 14  # 2 segment types x 7 stages
    assert [o.column for o in result.outcomes] == ["entered_difference", "deals_difference", "won_difference"]


def test_stage_counts_that_do_not_reconcile_block(db):
    _reconciliation_warehouse(db, [2, 3, 0, 0, 0, 1, 1])  # interest: 3 in the mart, 2 deals entered it
    result = validate(db, "marts__mart_funnel_conversion__reconciliation", as_of=AS_OF)
    assert failed(result) == [(ERROR, "expect_column_values_to_be_between", "entered_difference", 1)]
    assert "segment_type='overall', stage_code='interest'" in result.errors[0].detail
    db.execute("delete from marts.fct_deal_stage_events where to_stage_code = 'won'")
    db.execute("update marts.fct_deals set is_won = false")
    # now the mart counts one won deal too many: entered (overall and channel) and reached at won
    result = validate(db, "marts__mart_funnel_conversion__reconciliation", as_of=AS_OF)
    assert failed(result) == [
        (ERROR, "expect_column_values_to_be_between", "entered_difference", 3),
        (ERROR, "expect_column_values_to_be_between", "won_difference", 2),
    ]


def test_a_deal_won_then_lost_reconciles_on_the_deals_won_now(db):
    # d1: lead -> won; d2: lead -> won -> lost (a cancelled contract): both reached won, only d1 is won now
    put(db, "marts.fct_deal_stage_events", [
        {"deal_id": d, "to_stage_code": s} for d, s in [("d1", "lead"), ("d1", "won"), ("d2", "lead"), ("d2", "won"),
                                                        ("d2", "lost")]
    ])
    put(db, "marts.fct_deals", [{"deal_id": "d1", "is_won": True}, {"deal_id": "d2", "is_won": False}])
    #                                    lead int need prop nego won lost
    rows = funnel_rows("overall", "all", 2, [2, 2, 2, 2, 2, 2, 1], [2, 0, 0, 0, 0, 2, 1])
    for row in rows:
        row["won_later"] = 1  # of the deals that reached each stage, d1 alone is won
    put(db, "marts.mart_funnel_conversion", rows)
    result = validate(db, "marts__mart_funnel_conversion__reconciliation", as_of=AS_OF)
    assert result.success, failed(result)  # reached at won is 2, but won_later (1) is what fct_deals counts


def test_loss_reason_shares(db):
    rows = [
        {"lost_month": date(2026, 1, 1), "loss_reason_code": "price", "lost_from_stage_code": "proposal",
         "lost_deals": 3, "share_of_month": 0.75, "amount_lost_reporting": 10, "as_of_date": date(2026, 3, 31)},
        {"lost_month": date(2026, 1, 1), "loss_reason_code": "timing", "lost_from_stage_code": "need",
         "lost_deals": 1, "share_of_month": 0.25, "amount_lost_reporting": 0, "as_of_date": date(2026, 3, 31)},
        {"lost_month": date(2026, 2, 1), "loss_reason_code": "price", "lost_from_stage_code": "need",
         "lost_deals": 2, "share_of_month": 1.0, "amount_lost_reporting": 5, "as_of_date": date(2026, 3, 31)},
    ]
    put(db, "marts.mart_loss_reasons", rows)
    assert validate(db, "marts__mart_loss_reasons", as_of=AS_OF).success
    rows[2]["share_of_month"] = 1.2
    put(db, "marts.mart_loss_reasons", rows)
    assert failed(validate(db, "marts__mart_loss_reasons", as_of=AS_OF)) == [
        (ERROR, "expect_column_values_to_be_between", "share_of_month", 1),
        (ERROR, "expect_column_values_to_be_between", "month_share_total", 1),
    ]


def test_a_missing_table_is_skipped_and_a_missing_column_fails_its_expectations(db, tmp_path):
    # a source never loaded (not configured) has no raw tables: the suite is skipped, passes, writes no result
    skipped = validate(db, "raw_hubspot__contacts", as_of=AS_OF, results_dir=tmp_path / "gx")
    assert (skipped.success, skipped.blocking, skipped.rows, skipped.outcomes) == (True, False, 0, [])
    assert skipped.summary() == (
        "raw_hubspot__contacts on raw_hubspot.contacts: skipped — raw_hubspot.contacts does not exist (never loaded: "
        "its source is not configured or had no input)")
    assert not (tmp_path / "gx" / "raw_hubspot__contacts").exists()
    put(db, "raw_hubspot.contacts", [{"id": "1", "email": "a@b.cn", "createdate": PAST}])
    db.execute("alter table raw_hubspot.contacts drop column lastmodifieddate")
    result = validate(db, "raw_hubspot__contacts", as_of=AS_OF)
    assert failed(result) == [(WARN, "expect_column_values_to_be_between", "lastmodifieddate", 0)]
    assert result.warnings[0].detail == (
        'could not be evaluated: Error: The column "lastmodifieddate" in BatchData does not exist.'
    )
