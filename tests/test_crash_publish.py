"""Publishing that is killed or fails midway, fast: the Parquet set switches whole or not at all, and what a killed
publish left (.tmp files, a half-written version) is removed by the next one."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from funnelhouse.serving import export_parquet, publish_serving_copy, versions_dir


def warehouse(path: Path, version: int) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path))
    connection.execute("create schema if not exists marts")
    connection.execute(f"create or replace table marts.fct_deals as select {version} as version, 1 as deal")
    connection.execute(f"create or replace table marts.mart_funnel as select {version} as version, 'lead' as stage")
    return connection


def versions_read(folder: Path) -> dict[str, int]:
    with duckdb.connect() as reader:
        return {mart.name: reader.execute(f"select version from read_parquet('{mart / (mart.name + '.parquet')}')")
                .fetchone()[0] for mart in sorted(folder.iterdir())}


class FailingOnSecondCopy:
    """The warehouse connection, failing when the second mart is written (a disk full, a kill)."""

    def __init__(self, connection) -> None:
        self.connection, self.copies = connection, 0

    def execute(self, sql: str, *args):
        if sql.startswith("copy"):
            self.copies += 1
            if self.copies == 2:
                raise duckdb.IOException("No space left on device")
        return self.connection.execute(sql, *args)


def test_the_parquet_set_switches_whole_or_not_at_all(tmp_path: Path) -> None:
    folder = tmp_path / "serving" / "parquet"
    first = export_parquet(warehouse(tmp_path / "w.duckdb", 1), folder)
    assert first.rows == {"fct_deals": 1, "mart_funnel": 1}
    assert folder.is_symlink() and versions_read(folder) == {"fct_deals": 1, "mart_funnel": 1}
    held = folder.resolve() / "fct_deals" / "fct_deals.parquet"  # a reader that resolved the path before

    connection = warehouse(tmp_path / "w.duckdb", 2)
    with pytest.raises(duckdb.IOException):
        export_parquet(FailingOnSecondCopy(connection), folder)
    assert versions_read(folder) == {"fct_deals": 1, "mart_funnel": 1}  # the old set, whole

    export_parquet(connection, folder)
    assert versions_read(folder) == {"fct_deals": 2, "mart_funnel": 2}
    assert held.exists()  # the previous version stays for readers on it
    export_parquet(connection, folder)
    # the current and the previous version only: the one the failed publish half wrote and the first are gone
    assert len(list(versions_dir(folder).iterdir())) == 2 and not held.exists()
    assert not list(folder.parent.glob(".*.link")) and not list(folder.parent.rglob("*.tmp"))


def test_a_parquet_folder_of_an_older_release_is_replaced_once(tmp_path: Path) -> None:
    folder = tmp_path / "parquet"
    (folder / "fct_deals").mkdir(parents=True)
    (folder / "fct_deals" / ".fct_deals.parquet.0123.tmp").write_bytes(b"PAR1")  # left by a killed publish
    export_parquet(warehouse(tmp_path / "w.duckdb", 3), folder)
    assert folder.is_symlink() and versions_read(folder) == {"fct_deals": 3, "mart_funnel": 3}
    assert not list(tmp_path.rglob("*.tmp"))


def test_leftovers_of_a_killed_serving_copy_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "serving" / "funnelhouse_serving.duckdb"
    target.parent.mkdir(parents=True)
    for name in (".funnelhouse_serving.duckdb.4f2a.tmp", ".funnelhouse_serving.duckdb.4f2a.tmp.wal"):
        (target.parent / name).write_bytes(b"half a file")
    published = publish_serving_copy(warehouse(tmp_path / "w.duckdb", 4), target)
    assert published.rows == {"fct_deals": 1, "mart_funnel": 1}
    assert sorted(p.name for p in target.parent.iterdir()) == ["funnelhouse_serving.duckdb"]
