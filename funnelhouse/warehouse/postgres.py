"""The Postgres warehouse (settings.postgres_settings()): psycopg2 connections, `?` markers turned into `%s`."""
from __future__ import annotations

from funnelhouse import settings
from funnelhouse.warehouse.base import Connection, Warehouse
from ingestion.common.errors import FunnelhouseError


# type OIDs of cursor.description
NUMERIC, DATE, TIMESTAMP, TIMESTAMPTZ = 1700, 1082, 1114, 1184


def pyformat(sql: str) -> str:
    """`sql` with each `?` marker outside quotes as `%s` and each `%` as `%%` (psycopg2's paramstyle)."""
    out, quote = [], None
    for char in sql:
        if quote:
            if char == quote:
                quote = None
            out.append("%%" if char == "%" else char)
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        else:
            out.append("%%" if char == "%" else char)
    return "".join(out)


class PostgresCursor:
    """A psycopg2 cursor with df() (a pandas frame of the remaining rows)."""

    def __init__(self, cursor) -> None:
        self._cursor = cursor

    @property
    def description(self):
        return self._cursor.description

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self):
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int):
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def df(self, rows: int | None = None):
        """The remaining rows (at most `rows`) as pandas, typed as DuckDB's df() types them: numerics as floats, dates and
        timestamps as datetime64 (timestamptz in UTC)."""
        import pandas as pd

        description = self._cursor.description or []
        fetched = self.fetchall() if rows is None else self.fetchmany(rows)
        frame = pd.DataFrame.from_records(fetched, columns=[column[0] for column in description])
        for index, column in enumerate(description):
            code = column[1]
            series = frame.iloc[:, index]
            if code == NUMERIC:
                frame.isetitem(index, pd.to_numeric(series, errors="coerce").astype("float64"))
            elif code in (DATE, TIMESTAMP):
                frame.isetitem(index, pd.to_datetime(series))
            elif code == TIMESTAMPTZ:
                frame.isetitem(index, pd.to_datetime(series, utc=True))
        return frame


class PostgresConnection(Connection):
    """An autocommit psycopg2 connection (no transaction is left open to block dbt's DDL); read-only sessions
    cannot write."""

    kind = "postgres"

    def __init__(self, raw) -> None:
        import psycopg2
        from psycopg2 import errors

        self.raw = raw
        self.errors = (psycopg2.Error,)
        self.missing_errors = (errors.UndefinedTable, errors.InvalidSchemaName, errors.UndefinedColumn)

    def execute(self, sql: str, params=None) -> PostgresCursor:
        cursor = self.raw.cursor()
        if params is None:
            cursor.execute(sql)
        else:
            cursor.execute(pyformat(sql), list(params))
        return PostgresCursor(cursor)

    def digest_sql(self, relation: str, columns: list[str], kept: list[str]) -> str:
        """The sum of the first 60 bits of md5(row as text) of each row, as text."""
        listed = ", ".join('"' + column.replace('"', '""') + '"' for column in kept) or "1"
        return (f"select coalesce(sum(('x' || substr(md5(cast(r as text)), 1, 15))::bit(60)::bigint), 0)::text "
                f"from (select {listed} from {relation}) as r")

    def close(self) -> None:
        self.raw.close()


class PostgresWarehouse(Warehouse):
    """The server of settings.postgres_settings() (env FUNNELHOUSE_POSTGRES_DSN or PG*)."""

    kind = "postgres"
    serves_in_place = True
    plans_builds = True  # funnelhouse.build_plan records builds in dbt_state.builds (md5 row digests)

    def __init__(self, server: settings.PostgresSettings | None = None) -> None:
        self.server = server or settings.postgres_settings()

    def describe(self) -> str:
        return self.server.redacted_dsn()

    def open(self, read_only: bool = False) -> PostgresConnection:
        import psycopg2

        server = self.server
        try:
            raw = psycopg2.connect(host=server.host, port=server.port, user=server.user,
                                   password=server.password or None, dbname=server.database, connect_timeout=10)
        except psycopg2.Error as error:
            reason = (str(error).strip().splitlines() or ["no reason given"])[0]
            raise FunnelhouseError(f"{server.redacted_dsn()}: cannot connect: {reason}") from None
        raw.set_session(readonly=read_only, autocommit=True)
        return PostgresConnection(raw)

    def bi_access(self, role: str = "funnel_bi", schema: str = "marts") -> dict[str, object]:
        """The role BI tools log in as: its password set (hashed) from env FUNNELHOUSE_BI_PASSWORD when given, and
        what it may read (dbt's on-run-end hook grant_bi_role grants it `schema` and nothing else). A FunnelhouseError
        names the schemas it could read beside `schema`, or says the role is missing."""
        import os

        from funnelhouse.transform import BI_PASSWORD_ENV, set_bi_password

        with self.connect() as connection:
            exists = connection.execute("select rolcanlogin from pg_catalog.pg_roles where rolname = ?",
                                        [role]).fetchone()
            if exists is None:
                raise FunnelhouseError(f"{self.describe()}: the role {role} is missing; run the dbt build (its "
                                       "on-run-end hook grant_bi_role creates it)")
            readable = connection.execute(
                "select table_schema, count(*) from information_schema.tables "
                "where table_schema not in ('pg_catalog', 'information_schema') "
                "and has_table_privilege(?, quote_ident(table_schema) || '.' || quote_ident(table_name), 'select') "
                "group by table_schema order by table_schema", [role]).fetchall()
        if os.environ.get(BI_PASSWORD_ENV):
            set_bi_password(os.environ[BI_PASSWORD_ENV], role)
        schemas = {name: int(count) for name, count in readable}
        others = sorted(set(schemas) - {schema})
        if others:
            raise FunnelhouseError(f"{self.describe()}: the role {role} may read {', '.join(others)} beside "
                                   f"{schema}; run the dbt build again (grant_bi_role revokes them)")
        server = self.server
        return {"role": role, "schema": schema, "tables": schemas.get(schema, 0),
                "connect": f"postgresql://{role}@{server.host}:{server.port}/{server.database} (schema {schema})",
                "password_set": bool(os.environ.get(BI_PASSWORD_ENV))}
