"""The CRM staging tests' Postgres side: raw tables loaded into a throwaway Postgres and models built there, then
compared row for row with the DuckDB build (tests/test_crm_staging.py, tests/test_crm_staging_zoho_rest.py)."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.postgres import REQUIRE_ENV, PostgresUnavailable, find_bindir, throwaway_postgres
from support.warehouse import query


def unavailable(message: str) -> None:
    """Skip the test, or fail it when FUNNELHOUSE_REQUIRE_POSTGRES=1."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1)")
    pytest.skip(message)


def postgres_build(root: Path, load_raw: Callable[..., object], project: Path, select: str, as_of: str,
                   salt: str) -> Iterator[SimpleNamespace]:
    """For a module fixture (`yield from`): a throwaway Postgres, `load_raw(None, pipelines_dir, kind="postgres")`
    loading the raw tables into it, the `select`ed models of `project` built there: SimpleNamespace(server,
    statuses)."""
    from funnelhouse import settings
    from funnelhouse.transform import dbt_build

    if find_bindir() is None:
        unavailable("the PostgreSQL server is not installed: apt-get install postgresql")
    try:
        with throwaway_postgres() as server, pytest.MonkeyPatch.context() as mp:
            mp.setenv(settings.WAREHOUSE_KIND_ENV, "postgres")
            mp.setenv(settings.POSTGRES_DSN_ENV, server.dsn)
            mp.setenv("FUNNELHOUSE_DATA_DIR", str(root / "data"))
            mp.setenv("FUNNELHOUSE_PII_SALT", salt)
            for name in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"):
                mp.delenv(name, raising=False)
            load_raw(None, root / "pipelines", kind="postgres")
            statuses = dbt_build(root / "not_used.duckdb", as_of=as_of, select=select, project_dir=project)
            yield SimpleNamespace(server=server, statuses=statuses)
    except PostgresUnavailable as error:  # raised before the server starts, never after the yield
        unavailable(str(error))


def _comparable(value: object) -> object:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def differing_rows(warehouse: Path, server: object, relations: list[tuple[str, str]]) -> dict[str, tuple]:
    """{model: (DuckDB rows, Postgres rows)} of every (schema, model) whose rows differ between the two builds or
    that is empty (a comparison of nothing proves nothing); the run's own columns (load ids, times) left out."""
    different = {}
    for schema, model in relations:
        columns = [name for (name,) in query(warehouse, f"""
            select column_name from information_schema.columns
            where table_schema = '{schema}' and table_name = '{model}' order by ordinal_position""")
                   if not name.endswith(("load_id", "quarantined_at", "reconciled_at"))]
        select = f"select {', '.join(columns)} from {schema}.{model}"
        duck = sorted((tuple(map(_comparable, row)) for row in query(warehouse, select)), key=repr)
        postgres = sorted((tuple(map(_comparable, row)) for row in server.execute(select)), key=repr)
        if duck != postgres or not duck:
            different[model] = (duck, postgres)
    return different
