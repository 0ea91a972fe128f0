"""The warehouse interface every kind implements: a Warehouse opens Connections; generic code reads through them."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Cursor(Protocol):
    """What Connection.execute returns: DB-API rows plus a pandas frame of them."""

    description: Any

    def fetchone(self) -> tuple | None: ...

    def fetchall(self) -> list[tuple]: ...

    def fetchmany(self, size: int) -> list[tuple]: ...

    def df(self) -> Any: ...


class Connection:
    """One open connection to a warehouse. `execute` takes `?` markers on every kind; `errors` are the engine's
    exception classes (catch them in generic code instead of importing the driver); `raw` is the engine's own
    connection or session, for adapter-only code (the DuckDB serving copy)."""

    kind: str = ""
    raw: Any = None
    errors: tuple[type[BaseException], ...] = (Exception,)
    # exceptions a query over a missing schema or table raises
    missing_errors: tuple[type[BaseException], ...] = ()

    def execute(self, sql: str, params: list | tuple | None = None) -> Cursor:
        raise NotImplementedError

    def quote(self, name: str) -> str:
        """An identifier quoted for this engine's SQL (standard double quotes; Spark overrides)."""
        return '"' + name.replace('"', '""') + '"'

    def schemas(self) -> list[str]:
        """The schemas (Spark: databases) of the warehouse, in name order."""
        rows = self.execute("select schema_name from information_schema.schemata order by 1").fetchall()
        return [name for (name,) in rows]

    def tables(self, schema: str) -> list[str]:
        """Base tables and views of `schema`, in name order."""
        rows = self.execute("select table_name from information_schema.tables where table_schema = ? order by 1",
                            [schema]).fetchall()
        return [name for (name,) in rows]

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        """(name, type as the engine names it) of schema.table in column order; [] when it does not exist."""
        rows = self.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position", [schema, table]).fetchall()
        return [(name, str(kind)) for name, kind in rows]

    def table_exists(self, schema: str, table: str) -> bool:
        found = self.execute(
            "select count(*) from information_schema.tables where lower(table_schema) = ? and lower(table_name) = ?",
            [schema.lower(), table.lower()]).fetchone()
        return bool(found and found[0])

    def digest_sql(self, relation: str, columns: list[str], kept: list[str]) -> str:
        """SQL of one value: an order-free hash of the rows of `relation` (its `columns`) over the columns `kept`
        (funnelhouse.build_plan compares it between builds); where Warehouse.plans_builds."""
        raise NotImplementedError(f"{self.kind}: no row digest")

    def close(self) -> None:
        """Close the engine's connection."""


class Warehouse:
    """A warehouse of one kind: where it is (describe(), no secret), connections to it, and what it can do."""

    kind: str = ""
    # funnelhouse.build_plan can record and compare builds here (changed-only refreshes)
    plans_builds: bool = False
    # the warehouse is a file one writer holds at a time (DuckDB): writers wait for readers (warehouse_lock)
    is_file: bool = False

    # BI tools read the marts where they are, through a read-only role (Postgres): no serving copy
    serves_in_place: bool = False

    def describe(self) -> str:
        raise NotImplementedError

    def bi_access(self) -> dict[str, object]:
        """Where serves_in_place: make sure the BI role reads the marts and nothing else; what it can read."""
        raise NotImplementedError(f"{self.kind}: BI tools do not read this warehouse in place")

    def open(self, read_only: bool = False) -> Connection:
        raise NotImplementedError

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Connection]:
        """A connection closed at the end of the block (so that dlt and dbt can write afterwards)."""
        connection = self.open(read_only=read_only)
        try:
            yield connection
        finally:
            connection.close()

    def release(self) -> None:
        """Let another process open the warehouse (Spark: stop this process's session and JVM)."""
