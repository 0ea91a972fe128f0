"""Every check is shown to fail: the Great Expectations suites no other test breaks, on a copy of the fixture build
with one breakage per expectation, each on its own row, and the exact outcomes (expectation, column, failing rows).

The fixture build (tests/conftest.py `fixture_build`, as of 2025-06-30) holds 13 deals, 36 stage events, 8 stale
deals, 7 velocity rows, 4 rows of the export's stage history and 7 quarantined form rows of 15 read (46.7 %).
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from expectations import ERROR, WARN, SuiteResult, validate

AS_OF = date(2025, 6, 30)

# One breakage per expectation, each on a row no other breakage of the suite touches.
BREAKAGES = [
    # raw_spreadsheets__export_stage_changes (4 rows): D-002's move gets a stage code the funnel does not have,
    # D-001's Lead entry is loaded twice, D-001's win moves past the as-of day (+ the day of slack)
    "update raw_spreadsheets.export_stage_changes set to_stage_code = 'closing' where deal_id = 'D-002'",
    "insert into raw_spreadsheets.export_stage_changes select * from raw_spreadsheets.export_stage_changes "
    "where deal_id = 'D-001' and to_stage_code = 'lead'",
    "update raw_spreadsheets.export_stage_changes set changed_at = timestamptz '2025-07-05 08:00:00+00' "
    "where deal_id = 'D-001' and to_stage_code = 'won'",
    # raw_forms__quarantine: website_leads.jsonl read 3, quarantined 1 → 2: 8 of 15 rows read > 50 %
    "update raw_forms.reconciliation set rows_quarantined = 2, rows_loaded = 1 "
    "where input_name = 'export/website_leads.jsonl'",
    # marts__fct_deals (13 rows)
    "update marts.fct_deals set source = null where deal_id = 'hubspot:77'",
    "update marts.fct_deals set current_stage_code = 'closing' where deal_id = 'hubspot:150'",
    "update marts.fct_deals set is_won = true where deal_id = 'hubspot:7'",  # open and won
    "update marts.fct_deals set amount_cny = -1 where deal_id = 'hubspot:11'",
    "update marts.fct_deals set created_date = date '2025-07-01' where deal_id = 'hubspot:64'",
    "update marts.fct_deals set closed_date = date '2025-07-02' where deal_id = 'hubspot:31'",
    # marts__fct_deal_stage_events (36 rows)
    "update marts.fct_deal_stage_events set stage_event_id = 'hubspot:11#1' where stage_event_id = 'hubspot:11#2'",
    "update marts.fct_deal_stage_events set to_stage_code = 'closing' where stage_event_id = 'hubspot:5#2'",
    "update marts.fct_deal_stage_events set from_stage_code = 'closing' where stage_event_id = 'hubspot:5#3'",
    "update marts.fct_deal_stage_events set direction = 'sideways' where stage_event_id = 'hubspot:7#2'",
    "update marts.fct_deal_stage_events set changed_date = date '2025-07-01' where stage_event_id = 'hubspot:77#2'",
    # marts__mart_stale_deals (8 rows)
    "update marts.mart_stale_deals set current_stage_code = 'won' where deal_id = 'export_en:D-002'",
    "update marts.mart_stale_deals set days_over_threshold = -1 where deal_id = 'hubspot:150'",
    "update marts.mart_stale_deals set amount_reporting = -5 where deal_id = 'hubspot:64'",
    "update marts.mart_stale_deals set current_stage_entered_at = timestamp '2025-07-05 09:00:00' "
    "where deal_id = 'hubspot:7'",
    # marts__mart_stage_velocity (7 rows)
    "update marts.mart_stage_velocity set measure = 'speed' where stage_code = 'lead'",
    "update marts.mart_stage_velocity set min_days = -1 where stage_code = 'interest'",  # still in order
    "update marts.mart_stage_velocity set median_days = 40 where stage_code = 'need'",  # 40 > p90 31.4
    "update marts.mart_stage_velocity set stage_code = 'closing' where stage_code = 'proposal'",
]


@pytest.fixture(scope="module")
def broken(fixture_build: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture warehouse with every breakage applied."""
    warehouse = tmp_path_factory.mktemp("broken_gx") / "warehouse.duckdb"
    shutil.copyfile(fixture_build.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        for statement in BREAKAGES:
            connection.execute(statement)
    return warehouse


def check(warehouse: Path, suite: str) -> SuiteResult:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return validate(connection, suite, as_of=AS_OF)


def failed(result: SuiteResult) -> list[tuple[str, str, str | None, int]]:
    return [(o.severity, o.expectation, o.column, o.failing_rows) for o in result.outcomes if not o.success]


def test_the_suites_pass_on_the_fixture_build(fixture_build: SimpleNamespace) -> None:
    """The control: before the breakages, the six suites below pass (no failed expectation at all)."""
    for suite in ("raw_spreadsheets__export_stage_changes", "raw_forms__quarantine", "marts__fct_deals",
                  "marts__fct_deal_stage_events", "marts__mart_stale_deals", "marts__mart_stage_velocity"):
        assert failed(check(fixture_build.warehouse, suite)) == [], suite


def test_export_stage_history_fails_on_an_unknown_stage_a_duplicate_and_a_future_change(broken: Path) -> None:
    result = check(broken, "raw_spreadsheets__export_stage_changes")
    assert result.rows == 5  # 4 + the duplicate
    assert failed(result) == [
        (ERROR, "expect_compound_columns_to_be_unique", "deal_id, changed_at, to_stage_code", 2),
        (ERROR, "expect_column_values_to_be_in_set", "to_stage_code", 1),
        (WARN, "expect_column_values_to_be_between", "changed_at", 1),
    ]
    unknown = next(o for o in result.errors if o.column == "to_stage_code")
    assert unknown.detail.startswith("1 of 5 rows; values: 'closing' ×1; e.g. deal_id='D-002'")
    assert result.blocking


def test_forms_quarantine_over_half_the_rows_read_fails_listing_every_problem(broken: Path) -> None:
    result = check(broken, "raw_forms__quarantine")
    # 2 + 4 + 2 = 8 of 5 + 7 + 3 = 15 rows quarantined: 53 % > 50 %; the 7 problems (one row each) are listed
    assert failed(result) == [(ERROR, "expect_column_values_to_be_null", "over_limit", 7)]
    assert result.blocking
    assert result.summary().startswith(
        "raw_forms__quarantine on raw_forms.quarantine (7 rows): FAILED: 1 ERROR, 0 WARN of 1 expectations: ERROR "
        "expect_column_values_to_be_null(over_limit): 7 rows (values: ")
    assert "'json: truncated: the last line ends mid-record (1 rows)' ×1" in result.summary()


def test_fct_deals_fails_on_each_broken_deal(broken: Path) -> None:
    result = check(broken, "marts__fct_deals")
    assert result.rows == 13
    assert failed(result) == [
        (ERROR, "expect_column_values_to_not_be_null", "source", 1),  # hubspot:77
        (ERROR, "expect_column_values_to_be_in_set", "current_stage_code", 1),  # hubspot:150 'closing'
        (ERROR, "expect_column_values_to_be_in_set", "status_flags", 1),  # hubspot:7 open and won
        (ERROR, "expect_column_values_to_be_between", "amount_cny", 1),  # hubspot:11 -1
        (ERROR, "expect_column_values_to_be_in_set", "created_after_as_of", 1),  # hubspot:64 2025-07-01
        (ERROR, "expect_column_values_to_be_in_set", "closed_after_as_of", 1),  # hubspot:31 2025-07-02
    ]
    assert result.failing_rows == 6
    flags = next(o for o in result.errors if o.column == "status_flags")
    assert flags.detail == "1 of 13 rows; values: 2 ×1; e.g. deal_id='hubspot:7'"


def test_stage_events_fail_on_each_broken_event(broken: Path) -> None:
    result = check(broken, "marts__fct_deal_stage_events")
    assert result.rows == 36
    assert failed(result) == [
        (ERROR, "expect_column_values_to_be_unique", "stage_event_id", 2),  # hubspot:11#1 twice
        (ERROR, "expect_column_values_to_be_in_set", "from_stage_code", 1),  # hubspot:5#3
        (ERROR, "expect_column_values_to_be_in_set", "to_stage_code", 1),  # hubspot:5#2
        (ERROR, "expect_column_values_to_be_in_set", "direction", 1),  # hubspot:7#2 'sideways'
        (ERROR, "expect_column_values_to_be_in_set", "changed_after_as_of", 1),  # hubspot:77#2
    ]


def test_stale_deals_fail_on_each_broken_deal(broken: Path) -> None:
    result = check(broken, "marts__mart_stale_deals")
    assert result.rows == 8
    assert failed(result) == [
        (ERROR, "expect_column_values_to_be_in_set", "current_stage_code", 1),  # D-002 'won': not open
        (ERROR, "expect_column_values_to_be_between", "days_over_threshold", 1),  # hubspot:150
        (ERROR, "expect_column_values_to_be_between", "amount_reporting", 1),  # hubspot:64
        (ERROR, "expect_column_values_to_be_in_set", "entered_after_as_of", 1),  # hubspot:7
    ]
    stage = result.errors[0]
    assert stage.detail == "1 of 8 rows; values: 'won' ×1; e.g. deal_id='export_en:D-002'"


def test_stage_velocity_fails_on_each_broken_row(broken: Path) -> None:
    result = check(broken, "marts__mart_stage_velocity")
    assert result.rows == 7
    assert failed(result) == [
        (ERROR, "expect_column_values_to_be_in_set", "stage_code", 1),  # 'closing'
        (ERROR, "expect_column_values_to_be_in_set", "measure", 1),  # lead 'speed'
        (ERROR, "expect_column_values_to_be_between", "min_days", 1),  # interest -1
        (ERROR, "expect_column_values_to_be_in_set", "out_of_order", 1),  # need: median 40 > p90 31.4
    ]
