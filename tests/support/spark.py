"""A local Spark warehouse for tests: skip without Java (fail with FUNNELHOUSE_REQUIRE_SPARK=1), and a
scaffold that copies the raw_* tables of a DuckDB warehouse into Spark (DuckDB COPY to Parquet, one Spark
table per raw table in a database raw_<source>), the way the raw data reaches Spark until ingestion lands it
there itself.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

REQUIRE_ENV = "FUNNELHOUSE_REQUIRE_SPARK"  # "1": fail instead of skipping when Java is missing (CI)


def require_spark() -> None:
    """Skip the calling test (fail when env FUNNELHOUSE_REQUIRE_SPARK=1) when no Java runtime is found."""
    from funnelhouse.warehouse.spark_session import require_java
    from ingestion.common.errors import FunnelhouseError

    try:
        require_java()
    except FunnelhouseError as error:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{error} ({REQUIRE_ENV}=1)")
        pytest.skip(str(error))


def raw_tables(warehouse: Path) -> list[tuple[str, str]]:
    """(schema, table) of every base table of the raw_* schemas of a DuckDB warehouse (not dlt's staging
    datasets raw_*_staging), in order."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return [tuple(row) for row in connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw\\_%' escape '\\' "
            "and table_schema not like '%\\_staging' escape '\\' and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()]


def copy_raw_to_spark(warehouse: Path, folder: Path, spark) -> dict[str, int]:
    """Copy every raw_* table of the DuckDB `warehouse` to Parquet under `folder` and register it in
    `spark` as table <schema>.<table> (database created when missing, table replaced); returns the rows of
    each 'schema.table'."""
    tables = raw_tables(warehouse)
    copied = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for schema, table in tables:
            target = folder / schema / table
            target.mkdir(parents=True, exist_ok=True)
            file = target / "data.parquet"
            connection.execute(f'copy (select * from "{schema}"."{table}") to \'{file}\' (format parquet)')
            copied[f"{schema}.{table}"] = connection.execute(
                f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    for schema in sorted({schema for schema, _ in tables}):
        spark.sql(f"create database if not exists {schema}")
    for schema, table in tables:
        spark.sql(f"drop table if exists {schema}.{table}")
        location = (folder / schema / table).as_uri()
        spark.sql(f"create table {schema}.{table} using parquet location '{location}'")
    return copied


class SparkCursor:
    """The rows of one Spark query as a DB-API-like cursor (description, fetchall, fetchone)."""

    def __init__(self, frame) -> None:
        from pyspark.sql import functions
        from pyspark.sql.types import TimestampType

        # Spark's timestamp is an instant, collected in the Python process's zone: read it as the session's
        # (UTC) wall clock instead, as the other kinds give it
        frame = frame.select(*[
            functions.col(f"`{field.name}`").cast("timestamp_ntz").alias(field.name)
            if isinstance(field.dataType, TimestampType) else functions.col(f"`{field.name}`")
            for field in frame.schema.fields
        ])
        self.description = [(field.name, field.dataType.simpleString()) for field in frame.schema.fields]
        self._rows = [tuple(row) for row in frame.collect()]

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> tuple | None:
        return self._rows.pop(0) if self._rows else None


class SparkConnection:
    """A Connection-like view of a SparkSession for the tests (execute with ? markers, tables(schema))."""

    def __init__(self, spark) -> None:
        self.raw = spark

    def execute(self, sql: str, params: list | None = None) -> SparkCursor:
        return SparkCursor(self.raw.sql(sql, args=list(params)) if params else self.raw.sql(sql))

    def tables(self, schema: str) -> list[str]:
        rows = self.raw.sql(f"show tables in {schema}").collect()
        return [row.tableName for row in rows if not row.isTemporary]
