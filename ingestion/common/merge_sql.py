"""dlt's merge deletes the rows a load replaces with one statement per key, not one EXISTS joined by OR.

A table merged on a primary key and a merge key (a spreadsheet row replaces the row of the same deal; a file read
again replaces all the rows it loaded before) gets from dlt `DELETE ... WHERE EXISTS (SELECT 1 FROM staging s WHERE
<primary key match> OR <merge key match>)`. DuckDB and Postgres cannot hash-join on an OR: they compare every raw row
with every staged one, so a night adding one 6,250-deal export file to a million loaded deals spent ~60 CPU seconds
there. dlt already says the same deletes key by key for BigQuery (one EXISTS, a hash semi-join, per key; a UNION of
them where a temporary table collects the rows); `delete_key_by_key()` makes that the rule for the destinations that
use dlt's generic merge job. The rows deleted are the same: those matching one key or the other.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dlt.destinations.sql_jobs import SqlMergeFollowupJob


def _clauses_key_by_key(
    cls: Any,
    root_table_name: str,
    staging_root_table_name: str,
    primary_keys: Sequence[str],
    merge_keys: Sequence[str],
    for_delete: bool,
    source_filter: str | None = None,
) -> list[str]:
    """One `FROM <root> as d WHERE EXISTS (...)` clause per key (dlt's BigQuery merge job, said for every engine)."""
    return [
        f"FROM {root_table_name} as d WHERE EXISTS (SELECT 1 FROM {staging_root_table_name} as s WHERE "
        f"{cls._gen_staging_rows_cond(clause.format(d='d', s='s'), source_filter)})"
        for clause in cls._gen_key_table_clauses(primary_keys, merge_keys)
    ]


def delete_key_by_key() -> None:
    """Make dlt's generic merge job (DuckDB, Postgres) delete key by key; destinations with their own keep theirs."""
    if getattr(SqlMergeFollowupJob.gen_key_table_clauses, "__func__", None) is not _clauses_key_by_key:
        SqlMergeFollowupJob.gen_key_table_clauses = classmethod(_clauses_key_by_key)  # type: ignore[method-assign]
