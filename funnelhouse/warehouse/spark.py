"""The Spark warehouse adapter: connections over this process's SparkSession
(funnelhouse.warehouse.spark_session), with the interface of contracts18.md (execute with ? markers, cursors,
tables, columns, release)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funnelhouse import settings
from funnelhouse.warehouse.base import Connection, Warehouse


class SparkCursor:
    """The result of one statement: rows are fetched (collected to the driver) on first use."""

    def __init__(self, frame) -> None:
        self._frame = frame
        self._rows: list[tuple] | None = None
        self._next = 0

    @property
    def description(self) -> list[tuple]:
        """DB-API style: (name, type as Spark names it, None, None, None, None, nullable) per column."""
        return [(field.name, field.dataType.simpleString(), None, None, None, None, field.nullable)
                for field in self._frame.schema.fields]

    def _fetched(self) -> list[tuple]:
        if self._rows is None:
            self._rows = [tuple(row) for row in self._frame.collect()]
        return self._rows

    def fetchall(self) -> list[tuple]:
        rows = self._fetched()[self._next:]
        self._next += len(rows)
        return rows

    def fetchmany(self, size: int = 1) -> list[tuple]:
        rows = self._fetched()[self._next:self._next + size]
        self._next += len(rows)
        return rows

    def fetchone(self) -> tuple | None:
        rows = self.fetchmany(1)
        return rows[0] if rows else None

    def df(self, rows: int | None = None):
        """The rows (the remaining ones, at most `rows`) as pandas, typed as DuckDB's df() types them: decimals as
        floats, dates as datetime64, timestamps in UTC (the session's zone)."""
        import pandas as pd
        from pyspark.sql.types import DateType, DecimalType, TimestampType

        if rows is None and self._rows is None:
            frame = self._frame.toPandas()
        else:
            fetched = self.fetchall() if rows is None else self.fetchmany(rows)
            frame = pd.DataFrame.from_records(fetched, columns=[field.name for field in self._frame.schema.fields])
        for index, field in enumerate(self._frame.schema.fields):
            series = frame.iloc[:, index]
            if isinstance(field.dataType, DecimalType):
                frame.isetitem(index, pd.to_numeric(series, errors="coerce").astype("float64"))
            elif isinstance(field.dataType, DateType):
                frame.isetitem(index, pd.to_datetime(series))
            elif isinstance(field.dataType, TimestampType):
                frame.isetitem(index, pd.to_datetime(series, utc=True))
        return frame


class SparkConnection(Connection):
    """A connection to the Spark warehouse: databases are the schemas (raw_<source>, staging, marts, ...)."""

    kind = "spark"

    def __init__(self, session) -> None:
        from py4j.protocol import Py4JError
        from pyspark.errors import AnalysisException, PySparkException

        self.raw = session
        self.errors = (PySparkException, Py4JError)
        self.missing_errors = (AnalysisException,)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> SparkCursor:
        """Run one statement; `?` markers take `params` in order (Spark's positional parameters). Commands
        (DDL) run at once; a query runs when its rows are fetched."""
        frame = self.raw.sql(sql, args=list(params)) if params else self.raw.sql(sql)
        return SparkCursor(frame)

    def quote(self, name: str) -> str:
        """An identifier as Spark SQL quotes it (double quotes make a string there)."""
        return _quoted(name)

    def schemas(self) -> list[str]:
        """The databases of the metastore, in name order."""
        return sorted(database.name for database in self.raw.catalog.listDatabases())

    def tables(self, schema: str) -> list[str]:
        """Tables and views of database `schema`, sorted; none when it does not exist."""
        if not self.raw.catalog.databaseExists(schema):
            return []
        rows = self.raw.sql(f"SHOW TABLES IN {_quoted(schema)}").collect()
        return sorted(row.tableName for row in rows if not row.isTemporary)

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        """(name, Spark type) of each column of `schema.table`, in order; [] when it does not exist."""
        if not self.table_exists(schema, table):
            return []
        fields = self.raw.table(f"{_quoted(schema)}.{_quoted(table)}").schema.fields
        return [(field.name, field.dataType.simpleString()) for field in fields]

    def table_exists(self, schema: str, table: str) -> bool:
        return self.raw.catalog.databaseExists(schema) and self.raw.catalog.tableExists(f"{schema}.{table}")


class SparkWarehouse(Warehouse):
    """kind spark: dlt's Parquet files under spark_settings().raw_url (views of current rows in raw_<source>,
    funnelhouse.warehouse.spark_raw) and dbt-spark's tables under tables_url, read through a local
    SparkSession."""

    kind = "spark"

    def __init__(self, spark: settings.SparkSettings | None = None) -> None:
        self.spark = spark or settings.spark_settings()

    def describe(self) -> str:
        """Where the warehouse is (no secret: a bucket's keys come from the environment)."""
        where = f"Spark warehouse {self.spark.warehouse_url} ({self.spark.method}"
        return where + (f", {self.spark.master})" if self.spark.method == "session" else
                        f" {self.spark.host}:{self.spark.port})")

    def open(self, read_only: bool = False) -> SparkConnection:
        """A connection over this process's SparkSession (started on first use, ~5 s; kept for the next one, and
        closing the connection leaves it running). Spark has no read-only session: `read_only` changes nothing."""
        from funnelhouse.warehouse.spark_session import spark_session

        return SparkConnection(spark_session(self.spark))

    def release(self) -> None:
        """Stop this process's SparkSession and its JVM, so that another process can open the Derby
        metastore."""
        from funnelhouse.warehouse.spark_session import stop_session

        stop_session()


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
