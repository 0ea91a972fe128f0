"""Checks judged in the warehouse (expectations.sql_checks): one query per suite passes what it can, GX explains the
rest, and the outcomes are the same as GX alone gives, on a real DuckDB file."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from expectations import sql_checks, validate
from expectations.rules import (
    PHONE_E164,
    PHONE_TYPED,
    BuildContext,
    between,
    in_set,
    matches,
    not_in_future,
    required,
    row_count_within_bounds,
    unique,
)
from expectations.suites import Suite

AS_OF = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)  # "not in the future": before 2026-04-01 12:00 UTC


def build(context: BuildContext) -> list:
    return [
        *required(["id", "stage"]),
        unique("id"),
        in_set("stage", ["lead", "won", "lost"], "stage is a funnel stage"),
        between("amount", 0, None, description="amount is not negative"),
        matches("phone", PHONE_E164, "phone is E.164"),
        not_in_future("seen_at", context),
        not_in_future("seen_local", context),
        row_count_within_bounds(context),
    ]


SUITE = Suite("crafted__deals", "crafted.deals", "select * from crafted.deals", build, id_columns=("id",))
CLEAN = [
    ("d1", "lead", 10.0, "+8613800138000", "2026-03-01 09:00:00+00", "2026-03-01 09:00:00"),
    ("d2", "won", 0.0, "+4420123456789", "2026-04-01 11:59:59+00", "2026-04-01 11:59:59"),
    ("d3", "lost", None, None, None, None),
]


def warehouse(path: Path, rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path))
    connection.execute("create schema crafted")
    connection.execute("create table crafted.deals (id varchar, stage varchar, amount double, phone varchar, "
                       "seen_at timestamptz, seen_local timestamp)")
    if rows:
        connection.executemany("insert into crafted.deals values (?, ?, ?, ?, ?, ?)", rows)
    return connection


def expectations() -> list:
    return build(BuildContext(as_of=AS_OF, previous_rows=None))


def test_a_clean_suite_is_judged_in_sql_alone_with_the_outcomes_gx_gives(tmp_path: Path) -> None:
    with warehouse(tmp_path / "w.duckdb", CLEAN) as connection:
        judged = sql_checks.judge(connection, SUITE.query, expectations(), 3)
        assert (len(judged.passed), judged.left) == (9, [])
        in_sql = validate(connection, SUITE, as_of=AS_OF, results_dir=tmp_path / "gx")
        by_gx = validate(connection, SUITE, as_of=AS_OF, in_sql=False)
    assert in_sql.success and in_sql.rows == 3
    assert [vars(o) for o in in_sql.outcomes] == [vars(o) for o in by_gx.outcomes]
    assert [o.detail for o in in_sql.outcomes] == ["3 rows checked"] * 8 + ["3 rows, allowed 0..∞ (first run)"]
    written = json.loads((tmp_path / "gx" / "crafted__deals" / "latest.json").read_text(encoding="utf-8"))
    assert [r["meta"] for r in written["results"]] == [{"evaluated_by": "sql"}] * 9
    assert written["statistics"]["successful_expectations"] == 9


def test_what_fails_in_sql_goes_to_gx_which_names_the_rows(tmp_path: Path) -> None:
    rows = [*CLEAN,
            ("d1", "maybe", float("nan"), "+8612345", "2026-04-01 12:00:00+00", "2026-04-01 12:00:00")]
    with warehouse(tmp_path / "w.duckdb", rows) as connection:
        judged = sql_checks.judge(connection, SUITE.query, expectations(), 4)
        left = [(e.configuration.type, e.configuration.kwargs.get("column")) for e in judged.left]
        in_sql = validate(connection, SUITE, as_of=AS_OF)
        by_gx = validate(connection, SUITE, as_of=AS_OF, in_sql=False)
    # the duplicate id, the stage, the phone and both timestamps at the limit (strict): five to GX; id and stage
    # required, the row count and the NaN amount (a null to pandas, so to SQL too: not checked against 0) pass in SQL
    assert left == [("expect_column_values_to_be_unique", "id"), ("expect_column_values_to_be_in_set", "stage"),
                    ("expect_column_values_to_match_regex", "phone"),
                    ("expect_column_values_to_be_between", "seen_at"),
                    ("expect_column_values_to_be_between", "seen_local")]
    assert [vars(o) for o in in_sql.outcomes] == [vars(o) for o in by_gx.outcomes]
    failed = {(o.expectation, o.column): o.detail for o in in_sql.failed}
    assert failed == {
        ("expect_column_values_to_be_unique", "id"): "2 of 4 rows; values: 'd1' ×2; e.g. id='d1' | id='d1'",
        ("expect_column_values_to_be_in_set", "stage"): "1 of 4 rows; values: 'maybe' ×1; e.g. id='d1'",
        ("expect_column_values_to_match_regex", "phone"): "1 of 4 rows; values: '+*****45' ×1; e.g. id='d1'",  # masked
        ("expect_column_values_to_be_between", "seen_at"): "1 of 4 rows; values: 2026-04-01 12:00:00+00:00 ×1; "
                                                            "e.g. id='d1'",
        ("expect_column_values_to_be_between", "seen_local"): "1 of 4 rows; values: 2026-04-01 12:00:00+00:00 ×1; "
                                                               "e.g. id='d1'",
    }


def test_an_empty_table_and_an_unknown_column_are_left_to_gx(tmp_path: Path) -> None:
    with warehouse(tmp_path / "w.duckdb", []) as connection:
        assert sql_checks.judge(connection, SUITE.query, expectations(), 0).passed == []
        connection.execute("insert into crafted.deals values ('d1', 'lead', 1, null, null, null)")
        missing = required(["no_such_column"])
        assert sql_checks.judge(connection, SUITE.query, missing, 1).left == missing


@pytest.mark.parametrize("text, e164, typed", [
    ("+8613800138000", True, True),
    ("+86 138 0013 8000", False, True),
    ("+862162345678", True, True),
    ("+8612345", False, False),
    ("+8612345678901", False, False),  # 86 is China: not "+<other country>"
    ("+8 6123456789", False, True),  # a space after the 8: not +86 as typed
    ("+8512345678", True, True),
    ("+442012345678", True, True),
    ("+1234567", False, False),  # 7 digits: too short
    ("+1234567890123456", False, False),  # 16 digits: too long
    ("13800138000", False, True),
    ("+86138001380000\n", False, False),
])
def test_the_phone_regexes_say_the_same_in_duckdb_as_in_python(text: str, e164: bool, typed: bool) -> None:
    with duckdb.connect() as connection:
        in_duckdb = connection.execute("select regexp_matches(?, ?), regexp_matches(?, ?)",
                                       [text, PHONE_E164, text, PHONE_TYPED]).fetchone()
    assert in_duckdb == (e164, typed)
    assert (bool(re.search(PHONE_E164, text)), bool(re.search(PHONE_TYPED, text))) == (e164, typed)
