"""dlt's merge deletes replaced rows key by key (ingestion/common/merge_sql.py): the same rows as one EXISTS joined by
OR, without the nested-loop join an OR makes DuckDB run."""
from __future__ import annotations

from pathlib import Path

import dlt

from ingestion.pipeline import make_pipeline
from support.warehouse import query


@dlt.resource(name="deals", primary_key="deal_id", merge_key="source_file", write_disposition="merge")
def deals(rows: list[dict]):
    yield rows


def test_a_merge_on_a_primary_and_a_merge_key_deletes_key_by_key(tmp_path: Path) -> None:
    pipeline = make_pipeline("merge_sql", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
    pipeline.run(deals([{"deal_id": "D1", "source_file": "a.csv", "stage": "lead"},
                        {"deal_id": "D2", "source_file": "a.csv", "stage": "lead"},
                        {"deal_id": "D3", "source_file": "b.csv", "stage": "lead"}]))
    # a.csv read again without D2 (its merge key deletes D2), D3 moved from b.csv to c.csv (its primary key
    # replaces it): the rows of one key or the other are replaced, as with dlt's OR
    info = pipeline.run(deals([{"deal_id": "D1", "source_file": "a.csv", "stage": "won"},
                               {"deal_id": "D3", "source_file": "c.csv", "stage": "lost"}]))
    assert sorted(query(tmp_path / "w.duckdb", "select deal_id, source_file, stage from raw_merge_sql.deals")) == [
        ("D1", "a.csv", "won"), ("D3", "c.csv", "lost")]
    (package,) = [p for p in Path(pipeline.working_dir, "load", "loaded").iterdir() if p.name == info.loads_ids[0]]
    (merge_sql,) = (package / "completed_jobs").glob("deals.*.sql")
    deletes = [line for line in merge_sql.read_text().splitlines() if line.startswith("DELETE")]
    assert [d.split("WHERE ")[-1] for d in deletes] == ['d."deal_id" = s."deal_id")', 'd."source_file" = s."source_file")']
