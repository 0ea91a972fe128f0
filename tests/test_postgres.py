"""The Postgres warehouse: the committed fixtures loaded by the real ingestion (dlt → Postgres), the whole dbt project
built on them with dbt-postgres (unit tests included), marts equal to the DuckDB build's row for row, and the read-only
role funnel_bi that reads the marts and nothing else.

The server is a throwaway one from Debian's packages (tests/support/postgres.py): skipped when they are missing,
failed instead when env FUNNELHOUSE_REQUIRE_POSTGRES=1 (CI).
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from support.inputs import FIXTURE_AS_OF, TOKEN, copy_fixture_inputs, copy_project
from support.marts import MARTS, Table, differences, schema_rows
from support.postgres import REQUIRE_ENV, PostgresUnavailable, find_bindir, throwaway_postgres

from funnelhouse import settings
from funnelhouse.transform import BI_ROLE, DBT_PROJECT_DIR, dbt_build, funnel_summary, top_loss_reasons



def _unavailable(message: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1: CI installs Debian's postgresql in .ci/run)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def postgres_server():
    if find_bindir() is None:
        _unavailable("the PostgreSQL server is not installed: apt-get install postgresql")
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as error:  # raised before the server starts, never after the yield
        _unavailable(str(error))


@pytest.fixture(scope="module")
def postgres_env(postgres_server, tmp_path_factory: pytest.TempPathFactory):
    """The one setting on postgres, the server's DSN and a password for funnel_bi."""
    root = tmp_path_factory.mktemp("postgres_env")
    values = {
        settings.WAREHOUSE_KIND_ENV: "postgres",
        settings.POSTGRES_DSN_ENV: postgres_server.dsn,
        "FUNNELHOUSE_BI_PASSWORD": secrets.token_urlsafe(12),
        "FUNNELHOUSE_DATA_DIR": str(root / "data"),
    }
    return SimpleNamespace(root=root, values=values)


@pytest.fixture(scope="module")
def postgres_build(postgres_server, postgres_env, request: pytest.FixtureRequest) -> SimpleNamespace:
    """The fixtures loaded into Postgres (HubSpot from the emulator) and the project built there as of 2025-06-30."""
    from emulators.hubspot.server import HubSpotEmulator
    from ingestion.run import IngestOptions, ingest_source

    # the DuckDB build to compare with, built (once per session) with the default setting before it changes here;
    # asked for only now, so that a missing server skips at once
    duckdb_build = request.getfixturevalue("fixture_build")
    root = postgres_env.root
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in postgres_env.values.items():
            monkeypatch.setenv(name, value)
        for name in ("FUNNELHOUSE_WAREHOUSE", "FUNNELHOUSE_PIPELINES_DIR", "PGHOST", "PGPORT", "PGUSER",
                     "PGPASSWORD", "PGDATABASE"):
            monkeypatch.delenv(name, raising=False)
        inputs = copy_fixture_inputs(root)
        options = IngestOptions(inputs_dir=inputs, pipelines_dir=root / "pipelines")
        loaded = {}
        for name in ("forms", "spreadsheets"):
            loaded[name] = ingest_source(name, options)[0]
        emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()
        try:
            options.hubspot_base_url, options.hubspot_token = emulator.base_url, TOKEN
            loaded["hubspot"] = ingest_source("hubspot", options)[0]
        finally:
            emulator.stop()
        project = copy_project(DBT_PROJECT_DIR, root / "dbt_project")
        statuses = dbt_build(root / "not_used.duckdb", as_of=FIXTURE_AS_OF, project_dir=project, unit_tests=True)
        summary = (funnel_summary(root / "not_used.duckdb"), top_loss_reasons(root / "not_used.duckdb"))
    return SimpleNamespace(server=postgres_server, project=project, statuses=statuses, loaded=loaded,
                           summary=summary, bi_password=postgres_env.values["FUNNELHOUSE_BI_PASSWORD"],
                           duckdb_warehouse=duckdb_build.warehouse)


# --- the marts of both warehouses (tests/support/marts.py normalises and compares them) -----------------------------

def duckdb_marts(warehouse: Path) -> dict[str, Table]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return schema_rows(connection, MARTS)


def postgres_marts(server) -> dict[str, Table]:
    from funnelhouse.warehouse.postgres import PostgresConnection

    connection = PostgresConnection(server.connect())
    try:
        return schema_rows(connection, MARTS)
    finally:
        connection.close()


# --- tests --------------------------------------------------------------------------------------------------------

def test_settings_choose_the_warehouse_and_never_show_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.WAREHOUSE_KIND_ENV, raising=False)
    assert settings.warehouse_kind() == "duckdb"
    monkeypatch.setenv(settings.WAREHOUSE_KIND_ENV, " Postgres ")
    assert settings.warehouse_kind() == "postgres"
    monkeypatch.setenv(settings.WAREHOUSE_KIND_ENV, "sqlite")
    with pytest.raises(ValueError, match="duckdb, postgres"):
        settings.warehouse_kind()

    monkeypatch.setenv(settings.POSTGRES_DSN_ENV, "postgresql://loader:s%40cret@db.example:6543/funnel")
    server = settings.postgres_settings()
    assert (server.host, server.port, server.user, server.password, server.database) == (
        "db.example", 6543, "loader", "s@cret", "funnel")
    assert "s@cret" not in repr(server) and "cret" not in server.redacted_dsn()
    assert server.redacted_dsn() == "postgresql://loader:***@db.example:6543/funnel"
    assert settings.postgres_settings().libpq_env()["PGPASSWORD"] == "s@cret"

    monkeypatch.delenv(settings.POSTGRES_DSN_ENV)
    for name, value in {"PGHOST": "pg", "PGPORT": "5433", "PGUSER": "u", "PGPASSWORD": "p", "PGDATABASE": "d"}.items():
        monkeypatch.setenv(name, value)
    assert settings.postgres_settings() == settings.PostgresSettings("pg", 5433, "u", "p", "d")


def test_ingestion_loads_the_same_rows_into_postgres(postgres_build: SimpleNamespace) -> None:
    tables = {name: summary.table_rows for name, summary in postgres_build.loaded.items()}
    assert tables["hubspot"]["deals"] == 12
    assert tables["spreadsheets"]["export_deals"] == 3 and tables["spreadsheets"]["tracker_deals"] == 3
    assert tables["forms"]["form_submissions"] == 8
    connection = postgres_build.server.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from raw_hubspot.deals")
            assert cursor.fetchone() == (12,)
    finally:
        connection.close()


def test_dbt_build_on_postgres_is_green_unit_tests_included(postgres_build: SimpleNamespace) -> None:
    statuses = postgres_build.statuses
    assert statuses, "the build ran no nodes"
    assert not {node: status for node, status in statuses.items() if status not in ("success", "pass", "warn")}
    unit_tests = {node: status for node, status in statuses.items() if node.startswith("unit_test.")}
    manifest = json.loads((postgres_build.project / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert len(unit_tests) == len(manifest["unit_tests"]) > 20
    assert set(unit_tests.values()) == {"pass"}
    # the only warning is the one DuckDB gives too: the partner pipeline's stages are not in the funnel map
    assert [node for node, status in statuses.items() if status == "warn"] == [
        "test.funnelhouse.warn_source_stages_not_in_funnel_map"
    ]


def test_postgres_marts_equal_the_duckdb_marts_row_for_row(postgres_build: SimpleNamespace) -> None:
    duck, pg = duckdb_marts(postgres_build.duckdb_warehouse), postgres_marts(postgres_build.server)
    manifest = json.loads((postgres_build.project / "target" / "manifest.json").read_text(encoding="utf-8"))
    marts = sorted(node["alias"] for node in manifest["nodes"].values()
                   if node["resource_type"] == "model" and node["schema"] == "marts")
    assert sorted(pg) == sorted(duck) == marts  # every model the project builds into the marts schema
    different = differences(duck, pg)  # a table on one side only counts too
    assert not different, "\n".join(different)


def test_funnel_summary_reads_postgres_when_the_setting_says_so(postgres_build: SimpleNamespace) -> None:
    warehouse = postgres_build.duckdb_warehouse
    duckdb_summary = (funnel_summary(warehouse), top_loss_reasons(warehouse))
    assert postgres_build.summary == duckdb_summary
    assert postgres_build.summary[0][0].stage_code == "lead" and postgres_build.summary[0][0].reached == 13


def test_funnel_bi_reads_the_marts_and_nothing_else(postgres_build: SimpleNamespace) -> None:
    import psycopg2
    from psycopg2 import errors

    server = postgres_build.server
    connection = server.connect(user=BI_ROLE, password=postgres_build.bi_password)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from marts.fct_deals")
            assert cursor.fetchone() == (13,)
            cursor.execute("select stage_code from mart_funnel_conversion limit 1")  # search_path is marts
            assert cursor.fetchone()
            for table in ("raw_hubspot.deals", "raw_hubspot.contacts", "raw_forms.form_submissions",
                          "staging.stg_hubspot__contacts", "intermediate.int_deals", "funnel_config.funnel_stages"):
                with pytest.raises(errors.InsufficientPrivilege) as refused:
                    cursor.execute(f"select * from {table}")
                assert refused.value.pgcode == "42501"
                assert f"permission denied for schema {table.split('.')[0]}" in str(refused.value)
            with pytest.raises(psycopg2.Error) as read_only:
                cursor.execute("create table marts.scratch (x integer)")
            assert read_only.value.pgcode == "25006"  # read_only_sql_transaction
            # every table funnel_bi may read is a mart; the clear emails and phones of staging are not among them
            cursor.execute(
                """
                select distinct table_schema from information_schema.tables
                where table_schema not in ('pg_catalog', 'information_schema')
                  and has_table_privilege(quote_ident(table_schema) || '.' || quote_ident(table_name), 'select')
                """
            )
            assert cursor.fetchall() == [("marts",)]
    finally:
        connection.close()
    log = (postgres_build.project / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert postgres_build.bi_password not in log and server.password not in log


def test_grant_bi_role_is_idempotent_and_covers_new_marts(postgres_build: SimpleNamespace, postgres_env) -> None:
    from dbt.cli.main import dbtRunner

    from funnelhouse.transform import warehouse_env

    server, project = postgres_build.server, postgres_build.project
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in postgres_env.values.items():
            monkeypatch.setenv(name, value)
        with warehouse_env(postgres_env.root / "not_used.duckdb", "postgres"):
            result = dbtRunner().invoke(["--quiet", "run-operation", "grant_bi_role", "--project-dir", str(project),
                                         "--profiles-dir", str(project), "--target", "postgres"])
    assert result.success, result.exception
    server.execute("create table marts.added_later as select 1 as x")  # as the builder, like the next dbt run
    try:
        connection = server.connect(user=BI_ROLE, password=postgres_build.bi_password)
        try:
            with connection.cursor() as cursor:
                cursor.execute("select x from marts.added_later")
                assert cursor.fetchall() == [(1,)]
        finally:
            connection.close()
    finally:
        server.execute("drop table marts.added_later")


def test_build_on_a_database_nothing_was_loaded_into_says_to_ingest_first(
        postgres_build: SimpleNamespace, postgres_server, postgres_env, monkeypatch: pytest.MonkeyPatch) -> None:
    from funnelhouse.preflight import loaded_sources, require_loaded
    from ingestion.common.errors import FunnelhouseError

    for name, value in postgres_env.values.items():
        monkeypatch.setenv(name, value)
    warehouse = Path("not_used.duckdb")
    assert loaded_sources(warehouse) == 3  # raw_forms, raw_spreadsheets, raw_hubspot
    require_loaded(warehouse)
    postgres_server.execute("drop database if exists nothing_loaded")
    postgres_server.execute("create database nothing_loaded")
    monkeypatch.setenv(settings.POSTGRES_DSN_ENV, postgres_server.dsn.rsplit("/", 1)[0] + "/nothing_loaded")
    with pytest.raises(FunnelhouseError) as raised:
        require_loaded(warehouse)
    assert str(raised.value) == (
        f"postgresql://{postgres_server.user}:***@127.0.0.1:{postgres_server.port}/nothing_loaded: no source "
        "loaded into this warehouse yet: run `funnelhouse ingest` (or `funnelhouse refresh`, which also builds) first")
