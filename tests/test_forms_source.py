"""Forms source: Typeform, 金数据 and JSONL exports load with exact counts; bad lines are quarantined with reasons."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingestion.common.reconcile import Reconciliation
from ingestion.forms import ENTITY_TABLES, forms_source
from ingestion.pipeline import make_pipeline, run_source
from support.warehouse import query as query_warehouse


TIME_FORMATS = "ISO 8601 such as 2025-03-05T10:22:01Z or +08:00, 2025-03-05 10:22:01 UTC, or epoch milliseconds"


def load_forms(drop: Path, tmp_path: Path):
    recon = Reconciliation("forms")
    pipeline = make_pipeline("forms", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
    summary = run_source("forms", forms_source(drop_dir=str(drop), reconciliation=recon), recon, ENTITY_TABLES, pipeline)
    return summary, recon


def query(tmp_path: Path, sql: str) -> list[tuple]:
    return query_warehouse(tmp_path / "w.duckdb", sql)


@pytest.fixture
def drop(tmp_path: Path, fixtures_dir: Path) -> Path:
    target = tmp_path / "forms"
    shutil.copytree(fixtures_dir / "forms", target)
    return target


def test_each_form_shape_loads_with_exact_counts(drop: Path, tmp_path: Path) -> None:
    summary, recon = load_forms(drop, tmp_path)
    tallies = {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined, t.status) for t in summary.tallies}
    assert tallies == {
        "typeform/form_responses_2025-01.jsonl": (5, 3, 2, "loaded"),
        "jinshuju/entries_2025-01.jsonl": (7, 3, 4, "loaded"),
        "export/website_leads.jsonl": (3, 2, 1, "loaded"),
        "export/empty.jsonl": (0, 0, 0, "rejected"),
    }
    # jinshuju serial 2 arrives twice with identical values: merged into one row
    assert query(tmp_path, "select form_tool, count(*) from raw_forms.form_submissions group by 1 order by 1") == [
        ("export", 2), ("jinshuju", 2), ("typeform", 3)
    ]
    assert recon.errors == ["export/empty.jsonl: file is empty"]


def test_values_are_normalised(drop: Path, tmp_path: Path) -> None:
    load_forms(drop, tmp_path)
    rows = query(
        tmp_path,
        "select submission_id, email, phone, utm_source, data_issues from raw_forms.form_submissions order by 1",
    )
    assert rows == [
        ("export:WS-000001", "huang.lei@example.com", "+8613600136000", None, None),
        ("export:WS-000002", "emily@example.com", None, None, None),
        ("jinshuju:fhTrial-1", "chen.jing@example.cn", "+8613900139000", "wechat", None),
        ("jinshuju:fhTrial-2", None, "+862162345678", None, "email: invalid email address 'liu.yang@@example'"),
        ("typeform:tf1", "wang.wei@example.cn", "+8613800138000", "baidu", None),
        ("typeform:tf2", None, "+8613800138001", None, None),
        ("typeform:tf3", "wang.wei@example.cn", None, "wechat", None),
    ]


def test_bad_lines_are_quarantined_with_reasons(drop: Path, tmp_path: Path) -> None:
    load_forms(drop, tmp_path)
    rows = query(tmp_path, "select input_name, row_number, field, reason from raw_forms.quarantine order by 1, 2")
    assert rows == [
        ("export/empty.jsonl", 0, "file", "export/empty.jsonl: file is empty"),
        ("export/website_leads.jsonl", 3, "submitted_at",
         f"submitted_at: unparseable timestamp 'yesterday' (use {TIME_FORMATS})"),
        ("jinshuju/entries_2025-01.jsonl", 3, "submitted_at", "entry.created_at: submission time is missing"),
        ("jinshuju/entries_2025-01.jsonl", 4, "submission_id",
         "duplicate submission id 'fhTrial-1' with different values than jinshuju/entries_2025-01.jsonl line 1"),
        ("jinshuju/entries_2025-01.jsonl", 6, "json", "malformed JSON: Invalid control character at (column 64)"),
        ("jinshuju/entries_2025-01.jsonl", 7, "email", "missing required field: a lead needs an email or a phone"),
        ("typeform/form_responses_2025-01.jsonl", 4, "phone",
         "invalid phone number '1380013' (expected e.g. 13800138000 or +86 21 6234 5678)"),
        ("typeform/form_responses_2025-01.jsonl", 5, "json", "truncated: the last line ends mid-record"),
    ]


def test_rerun_loads_nothing_and_a_new_file_loads_exactly_its_rows(drop: Path, tmp_path: Path) -> None:
    load_forms(drop, tmp_path)
    again, _ = load_forms(drop, tmp_path)
    assert (again.rows_loaded, again.rows_quarantined) == (0, 0)
    # the empty file is rejected again on every run until it is fixed, never "unchanged"
    assert {t.input_name: t.status for t in again.tallies if t.status != "unchanged"} == {"export/empty.jsonl": "rejected"}

    new = drop / "export" / "website_leads_2025-02.jsonl"
    new.write_text(
        '{"submission_id": "WS-000010", "submitted_at": "2025-02-01 09:00:00", "email": "new@example.com"}\n'
        '{"submission_id": "WS-000011", "submitted_at": "2025-02-02 09:00:00", "phone": "13500135000"}\n',
        encoding="utf-8",
    )
    third, _ = load_forms(drop, tmp_path)
    assert (third.rows_loaded, third.rows_quarantined) == (2, 0)
    assert query(tmp_path, "select count(*) from raw_forms.form_submissions") == [(9,)]
    recon_rows = query(
        tmp_path,
        "select count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw_forms.reconciliation",
    )
    assert recon_rows == [(13, 17, 10, 7)]  # 4 inputs; 3 unchanged + empty rejected; the same + 1 new


def _depth(value, level: int = 1) -> int:
    """Nesting depth the slow way (a scalar is 0, {} or [] is 1)."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return level - 1 if children is None else max([level, *(_depth(child, level + 1) for child in children)])


@pytest.mark.parametrize("depth", [0, 1, 2, 31, 32, 33, 100])
@pytest.mark.parametrize("noise", ["", '[[[{{"', "\\", '\\"]]}', "\\\\", "a\\\\\\\"{"])
def test_the_nesting_check_reads_brackets_in_strings_as_text(depth: int, noise: str) -> None:
    import json

    from ingestion.forms import MAX_JSON_DEPTH, too_deep

    value = {f"k{noise}": noise}
    for _ in range(depth - 1):
        value = [noise, value] if depth % 2 else {noise: value}
    value = value if depth else noise
    raw = json.dumps(value, ensure_ascii=False).encode()
    assert _depth(json.loads(raw)) == depth
    assert too_deep(raw) is (depth > MAX_JSON_DEPTH)


def test_duplicates_are_found_across_settle_batches_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Submission ids are looked up SETTLE_ROWS records at a time in ingestion.forms.seen (a DuckDB table, no
    per-row Python state): with 2 per batch, a duplicate two batches and a file later still names its first read."""
    import ingestion.forms
    from ingestion.forms.seen import First, SeenSubmissions

    monkeypatch.setattr(ingestion.forms, "SETTLE_ROWS", 2)
    drop = tmp_path / "forms" / "export"
    drop.mkdir(parents=True)

    def record(number: int, email: str) -> str:
        return (f'{{"submission_id": "X-{number}", "submitted_at": "2025-01-10 10:00:00", "form": "contact", '
                f'"email": "{email}"}}\n')

    # a.jsonl: X-1, X-2 | X-3, X-1 with another email (line 4: quarantined) | X-2 again, the same values (loaded)
    (drop / "a.jsonl").write_text(record(1, "a@example.com") + record(2, "b@example.com") + record(3, "c@example.com")
                                  + record(1, "other@example.com") + record(2, "b@example.com"), encoding="utf-8")
    (drop / "b.jsonl").write_text(record(3, "changed@example.com"), encoding="utf-8")  # X-3 of a.jsonl line 3
    summary, recon = load_forms(tmp_path / "forms", tmp_path)
    assert query(tmp_path, "select input_name, row_number, reason from raw_forms.quarantine order by 1, 2") == [
        ("export/a.jsonl", 4, "duplicate submission id 'X-1' with different values than export/a.jsonl line 1"),
        ("export/b.jsonl", 1, "duplicate submission id 'X-3' with different values than export/a.jsonl line 3"),
    ]
    # 6 read = 4 loaded (X-2 twice, merged into one row) + 2 quarantined
    assert [(t.input_name, t.rows_read, t.rows_loaded, t.rows_quarantined) for t in recon.tallies.values()] == [
        ("export/a.jsonl", 5, 4, 1), ("export/b.jsonl", 1, 0, 1)]
    assert query(tmp_path, "select submission_id from raw_forms.form_submissions order by 1") == [
        ("export:X-1",), ("export:X-2",), ("export:X-3",)]

    seen = SeenSubmissions()
    try:
        assert seen.first_reads([("t:1", b"A", "a", 1), ("t:1", b"B", "a", 2)]) == [First("a", 1, b"A")] * 2
        assert seen.first_reads([("t:2", b"C", "b", 1), ("t:1", b"D", "b", 2)]) == [
            First("b", 1, b"C"), First("a", 1, b"A")]
    finally:
        seen.close()
