"""The whole refresh on Postgres through Dagster: the committed fixtures loaded by the ingestion assets (HubSpot from
its emulator), dbt built there, the Great Expectations suites read from Postgres, "serving" as the marts schema the
read-only role funnel_bi reads, the funnel report written from it; marts equal the DuckDB build's row by row, and a
second refresh changes no mart row.

One throwaway server and two refreshes for the module (tests/support/postgres.py): skipped when Debian's binaries
are missing, failed instead when env FUNNELHOUSE_REQUIRE_POSTGRES=1 (CI).
"""
from __future__ import annotations

import secrets
from types import SimpleNamespace

import pytest

from support.inputs import FIXTURE_AS_OF, TOKEN, copy_fixture_inputs
from support.marts import differences
from support.postgres import PostgresUnavailable, find_bindir, throwaway_postgres
from support.refresh import assert_fixture_refresh
from test_postgres import _unavailable, duckdb_marts, postgres_marts

from funnelhouse import settings
from funnelhouse.transform import BI_ROLE

ALERT_ENV = ("FUNNELHOUSE_ALERT_WEBHOOK_URL", "FUNNELHOUSE_ALERT_SLACK_WEBHOOK_URL", "FUNNELHOUSE_ALERT_WECOM_WEBHOOK_URL",
             "FUNNELHOUSE_ALERT_DINGTALK_WEBHOOK_URL", "FUNNELHOUSE_ALERT_SMTP_HOST", "FUNNELHOUSE_ALERT_EMAIL_TO")


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> SimpleNamespace:
    """Two refreshes through Dagster on one throwaway server: the first loads and builds everything, the second
    finds nothing new."""
    import dagster as dg

    from emulators.hubspot.server import HubSpotEmulator
    from orchestration.refresh import run_refresh
    from orchestration.resources import FunnelhouseResource

    if find_bindir() is None:
        _unavailable("the PostgreSQL server is not installed: apt-get install postgresql")
    root = tmp_path_factory.mktemp("postgres_refresh")
    bi_password = secrets.token_urlsafe(12)
    try:
        server_context = throwaway_postgres()
        server = server_context.__enter__()
    except PostgresUnavailable as error:
        _unavailable(str(error))
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            for name, value in {settings.WAREHOUSE_KIND_ENV: "postgres", settings.POSTGRES_DSN_ENV: server.dsn,
                                "FUNNELHOUSE_BI_PASSWORD": bi_password,
                                "FUNNELHOUSE_DATA_DIR": str(root / "data")}.items():
                monkeypatch.setenv(name, value)
            for name in ("FUNNELHOUSE_WAREHOUSE", "FUNNELHOUSE_PIPELINES_DIR", "PGHOST", "PGPORT", "PGUSER",
                         "PGPASSWORD", "PGDATABASE", *ALERT_ENV):
                monkeypatch.delenv(name, raising=False)
            inputs = copy_fixture_inputs(root)
            emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()
            resource = FunnelhouseResource(warehouse=str(root / "data" / "funnelhouse.duckdb"),
                                           inputs_dir=str(inputs), as_of=FIXTURE_AS_OF,
                                           hubspot_base_url=emulator.base_url, hubspot_token=TOKEN)
            instance = dg.DagsterInstance.ephemeral()
            try:
                first = run_refresh(resource, instance, log_file=root / "first.log")
                served = instance.get_latest_materialization_event(dg.AssetKey(["serving", "funnelhouse_serving"]))
                first_marts = postgres_marts(server)
                report_file = root / "data" / "reports" / "funnel_report.html"
                report = report_file.read_text(encoding="utf-8") if report_file.exists() else ""
                second = run_refresh(resource, instance, log_file=root / "second.log")
                second_marts = postgres_marts(server)
            finally:
                emulator.stop()
        yield SimpleNamespace(server=server, root=root, first=first, second=second, first_marts=first_marts,
                              second_marts=second_marts, report=report, bi_password=bi_password,
                              served={name: value.value for name, value in
                                      served.asset_materialization.metadata.items()},
                              log=(root / "first.log").read_text(encoding="utf-8"))
    finally:
        server_context.__exit__(None, None, None)


def test_the_refresh_job_runs_end_to_end_on_postgres(refreshed: SimpleNamespace) -> None:
    assert_fixture_refresh(refreshed.first)
    assert refreshed.server.password not in refreshed.log and refreshed.bi_password not in refreshed.log


def test_postgres_refresh_marts_equal_the_duckdb_marts_row_for_row(refreshed: SimpleNamespace,
                                                                   fixture_build: SimpleNamespace) -> None:
    duck, pg = duckdb_marts(fixture_build.warehouse), refreshed.first_marts
    assert sorted(pg) == sorted(duck)
    different = differences(duck, pg)
    assert not different, "\n".join(different)


def test_a_second_refresh_changes_no_mart_row(refreshed: SimpleNamespace) -> None:
    assert refreshed.second.success, refreshed.second.error
    # nothing new was loaded: the build plan (recorded in Postgres, dbt_state.builds) builds nothing
    assert [key for key in refreshed.second.materialized
            if key.split("/")[0] in ("funnel_config", "staging", "intermediate", "marts")] == []
    assert refreshed.second_marts == refreshed.first_marts


def test_funnel_bi_reads_the_served_marts_and_not_raw_or_staging(refreshed: SimpleNamespace) -> None:
    from psycopg2 import errors

    # serving on Postgres: no copy; the step set funnel_bi's password and says what it reads (every mart)
    server = refreshed.server
    assert refreshed.served == {
        "served_in_place": True, "role": "funnel_bi", "schema": "marts", "tables": len(refreshed.first_marts),
        "connect": f"postgresql://funnel_bi@127.0.0.1:{server.port}/funnelhouse (schema marts)",
        "password_set": True}
    connection = refreshed.server.connect(user=BI_ROLE, password=refreshed.bi_password)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from marts.fct_deals")
            assert cursor.fetchone() == (13,)
            for table in ("raw_hubspot.deals", "raw_forms.form_submissions", "staging.stg_hubspot__contacts"):
                with pytest.raises(errors.InsufficientPrivilege) as refused:
                    cursor.execute(f"select * from {table}")
                assert refused.value.pgcode == "42501"
    finally:
        connection.close()


def test_the_report_is_written_from_postgres(refreshed: SimpleNamespace) -> None:
    page = refreshed.report
    assert "postgres postgresql://funnelhouse_owner:***@127.0.0.1:" in page
    assert "funnelhouse.duckdb" not in page


def test_demo_on_postgres_without_the_server_binaries_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from funnelhouse.cli import app
    from funnelhouse.warehouse import throwaway_postgres as throwaway

    for name in (settings.POSTGRES_DSN_ENV, "PGHOST", settings.WAREHOUSE_KIND_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(throwaway, "find_bindir", lambda: None)  # a machine without Debian's postgresql
    monkeypatch.setenv(settings.WAREHOUSE_KIND_ENV, "duckdb")  # restored after the test: --warehouse sets it
    result = CliRunner().invoke(app, ["demo", "--warehouse", "postgres"], env={"COLUMNS": "250"})
    assert result.exit_code == 2
    assert result.output.strip() == ("error: the PostgreSQL server is not installed: apt-get install postgresql "
                                     "(or set FUNNELHOUSE_POSTGRES_DSN to a server of yours)")
    assert not (settings.data_dir() / "inputs").exists()  # nothing generated before the server was there
    wrong = CliRunner().invoke(app, ["demo", "--warehouse", "oracle"], env={"COLUMNS": "250"})
    assert (wrong.exit_code, wrong.output.strip()) == (
        2, "error: --warehouse must be one of duckdb, postgres, spark, got 'oracle'")
