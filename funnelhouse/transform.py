"""Run the dbt project (dbt_project/) on a warehouse and read the funnel back for the demo and the CLI."""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import NamedTuple

from funnelhouse import settings
from funnelhouse.settings import PROJECT_ROOT
from ingestion.common.errors import FunnelhouseError

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
WAREHOUSE_ENV = "FUNNELHOUSE_WAREHOUSE"  # read by dbt_project/profiles.yml
BI_ROLE = "funnel_bi"  # the read-only role of BI tools on Postgres (dbt_project/macros/grant_bi_role.sql)
BI_PASSWORD_ENV = "FUNNELHOUSE_BI_PASSWORD"
FAILED_STATUSES = ("error", "fail", "runtime error")
# the nightly build leaves out unit tests (fixed inputs, logic only): CI runs them
EXCLUDE_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]
PARTIAL_PARSE = "partial_parse.msgpack"
BUILD_TARGET = "dbt_target"  # in the data folder: the artifacts of `funnelhouse build` on the project checkout


class FunnelStage(NamedTuple):
    """One stage of the overall funnel (mart_funnel_conversion, segment overall)."""

    stage_code: str
    name_zh: str
    name_en: str
    reached: int  # deals that got to this stage or a later one (skipped stages count as passed)
    entered: int  # deals that actually entered the stage
    adjacent_conversion_rate: float | None  # reached of the next stage / reached; None for won and lost
    cumulative_conversion_rate: float | None  # reached / all deals


class LossReason(NamedTuple):
    """One normalised loss reason over all months (mart_loss_reasons)."""

    reason_code: str
    name_zh: str
    name_en: str
    lost_deals: int
    share_of_lost: float  # of all lost deals, those without a written reason included
    amount_lost_reporting: float
    reporting_currency: str = "CNY"  # the currency of amount_lost_reporting (the mart's column)


@contextmanager
def warehouse_env(warehouse: Path, target: str | None = None) -> Iterator[None]:
    """The environment dbt_project/profiles.yml and the models read: FUNNELHOUSE_WAREHOUSE (the DuckDB file),
    FUNNELHOUSE_PII_SALT (the secret salt of the contact hashes, generated on first use: settings.pii_salt) and, on a
    postgres target (default: settings.warehouse_kind()) with FUNNELHOUSE_POSTGRES_DSN given, the PG*
    variables; on a spark target the FUNNELHOUSE_SPARK_* variables of spark_session.dbt_env()."""
    try:
        salt = settings.pii_salt()
    except settings.SecretError as error:
        raise FunnelhouseError(str(error)) from None
    values = {WAREHOUSE_ENV: str(Path(warehouse).resolve()), settings.PII_SALT_ENV: salt}
    kind = target or settings.warehouse_kind()
    if kind == "postgres" and os.environ.get(settings.POSTGRES_DSN_ENV, "").strip():
        values.update(settings.postgres_settings().libpq_env())
    if kind == "spark":
        from funnelhouse.warehouse import spark_session

        try:
            values.update(spark_session.dbt_env())
        except ValueError as error:  # a FUNNELHOUSE_SPARK_* setting out of its choices
            raise FunnelhouseError(str(error)) from None
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        settings.restore_env(previous)


def _release_warehouse() -> None:
    """Close the DuckDB connection dbt-duckdb keeps open in this process after a run, so the warehouse file can be
    opened again (read-only by funnel_summary, for writing by the next ingestion)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def _failed_nodes(result: object) -> list[str]:
    """'name (status)' of every node that errored or failed in a dbtRunner result."""
    failed = []
    for node_result in getattr(result, "results", None) or []:
        status = str(getattr(node_result, "status", "")).lower()
        if status in FAILED_STATUSES:
            node = getattr(node_result, "node", None)
            failed.append(f"{getattr(node, 'name', '?')} ({status})")
    return failed


def dbt_build(
    warehouse: Path,
    as_of: str | None = None,
    select: str | None = None,
    *,
    full_refresh: bool = False,
    quiet: bool = True,
    project_dir: Path | None = None,
    target: str | None = None,
    unit_tests: bool = False,
    changed_only: bool = False,
) -> dict[str, str]:
    """Build (seed, run, test) the dbt project on `warehouse`, as of `as_of` (YYYY-MM-DD, default today); returns
    the status of every node built (unique id → success, pass, warn, ...).

    `target` is the profile's output: duckdb (the file `warehouse`), postgres (settings.postgres_settings())
    or spark (settings.spark_settings(); method session builds in this process's SparkSession, started here
    when none runs); `warehouse` is used by duckdb only; default settings.warehouse_kind(). On postgres a
    successful build then grants the read-only role funnel_bi the marts (macro grant_bi_role, unless
    dbt_project.yml runs it as on-run-end hook) and sets its password when env FUNNELHOUSE_BI_PASSWORD is
    given.

    Raises FunnelhouseError with a one-line message naming the failing nodes when the build fails. `quiet`
    leaves out dbt's per-node progress (errors are still printed); `project_dir` builds a copy of the project.
    `unit_tests` runs dbt's unit tests too: they test the models' logic on fixed inputs, not the data, so the
    nightly build leaves them to CI (dbt's advice for production) and `funnelhouse build --unit-tests` asks for them.
    `changed_only` (DuckDB, no `select`) builds only what changed since the last successful build, as the refresh
    does (funnelhouse.build_plan), and nothing when nothing did: {} is returned then.
    """
    from dbt.cli.main import dbtRunner

    if as_of is not None:
        try:
            date.fromisoformat(as_of)
        except ValueError:
            raise FunnelhouseError(f"as_of must be a date YYYY-MM-DD, got {as_of!r}") from None
    target = target or settings.warehouse_kind()
    if target not in settings.WAREHOUSE_KINDS:
        raise FunnelhouseError(f"dbt target must be one of {', '.join(settings.WAREHOUSE_KINDS)}, got {target!r}")
    project = Path(project_dir or DBT_PROJECT_DIR)
    artifacts = build_target(project, shared=project_dir is None)
    # the same --vars for every command of a build: dbt parses the whole project again when they change, and
    # keeps target/partial_parse.msgpack between builds otherwise
    common = ["--project-dir", str(project), "--profiles-dir", str(project), "--target", target,
              "--target-path", str(artifacts),
              *(["--vars", json.dumps({"as_of": as_of})] if as_of is not None else [])]
    args = ["build", *common]
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    if not unit_tests:
        args += EXCLUDE_UNIT_TESTS
    if quiet:
        args = ["--quiet", *args]
    plan = None
    with warehouse_env(warehouse, target):
        try:
            runner = dbtRunner()
            plans = _planning_warehouse(warehouse, target) is not None
            if changed_only and plans and not select:
                plan, runner = _plan_changes(warehouse, project, artifacts, common, as_of, full_refresh)
            elif plans:  # a build not planned: what is recorded no longer holds once it starts
                forget_recorded_builds(warehouse)
            elif target == "spark" and settings.spark_settings().method == "session":
                # dbt-spark's session method runs in this process and reuses its SparkSession: start it with
                # the one configuration (spark_session.spark_conf), Java missing said in one line
                from funnelhouse.warehouse.spark_session import spark_session

                spark_session()
            if plan is not None:
                if plan.nothing_to_do:
                    return {}
                if not plan.full:
                    args += ["--select", " ".join(plan.selectors)]
            try:
                result = runner.invoke(args)
            finally:
                if project_dir is None:
                    keep_partial_parse(artifacts, project)
            if result.success and target == "postgres" and not _runs_grant_hook(project):
                operation = ["run-operation", "grant_bi_role", *common]
                granted = dbtRunner().invoke(["--quiet", *operation] if quiet else operation)
                if not granted.success:
                    reason = str(granted.exception or "see the log").strip().splitlines()[0]
                    raise FunnelhouseError(f"granting {BI_ROLE} the marts failed: {reason} "
                                           f"(details in {project / 'logs' / 'dbt.log'})")
        finally:
            _release_warehouse()
    if result.success:
        if target == "postgres" and os.environ.get(BI_PASSWORD_ENV):
            set_bi_password(os.environ[BI_PASSWORD_ENV])
        if plans and not select:
            with warehouse_env(warehouse, target):  # the env the project reads is part of what the build saw
                remember_build(warehouse, project, as_of, plan, artifacts)
        return {
            node_result.node.unique_id: str(node_result.status).lower()
            for node_result in getattr(result.result, "results", None) or []
            if getattr(node_result, "node", None) is not None
        }
    failed = _failed_nodes(result.result)
    if failed:
        shown = ", ".join(failed[:8]) + (f" and {len(failed) - 8} more" if len(failed) > 8 else "")
        raise FunnelhouseError(f"dbt build failed: {shown} (details in {project / 'logs' / 'dbt.log'})")
    reason = str(result.exception).strip().splitlines()[0] if result.exception else "see the log"
    raise FunnelhouseError(f"dbt build failed: {reason} (details in {project / 'logs' / 'dbt.log'})")


def build_target(project: Path, shared: bool) -> Path:
    """Where a build writes dbt's artifacts (manifest, run results, compiled SQL): <project>/target for a project of
    its own; for the project checkout every instance shares (`shared`), <data folder>/dbt_target, so that two
    instances building at once (a test run beside the nightly refresh) never read each other's run_results.json.
    It starts from the checkout's partial_parse.msgpack: only the files changed since the last build are parsed."""
    if not shared:
        return project / "target"
    artifacts = settings.data_dir() / BUILD_TARGET
    artifacts.mkdir(parents=True, exist_ok=True)
    kept = project / "target" / PARTIAL_PARSE
    if kept.exists():
        copy_whole(kept, artifacts / PARTIAL_PARSE)
    return artifacts


def keep_partial_parse(run_target: Path, project: Path = DBT_PROJECT_DIR) -> None:
    """Put the partial_parse.msgpack dbt wrote in a build's own target folder back into <project>/target, where the
    next build starts from it: it re-parses only the files that changed (dbt parses all again when the vars, the
    profile or dbt changed, so it compares with the last build's, not with `dbt parse`'s)."""
    written = run_target / PARTIAL_PARSE
    if written.exists() and written.resolve() != (project / "target" / PARTIAL_PARSE).resolve():
        (project / "target").mkdir(exist_ok=True)
        copy_whole(written, project / "target" / PARTIAL_PARSE)


def copy_whole(source: Path, destination: Path) -> None:
    """Copy through a temporary file renamed into place: a concurrent reader sees the old file or the new one."""
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, temporary)
    temporary.replace(destination)


def _plan_changes(warehouse: Path, project: Path, artifacts: Path, common: list[str], as_of: str | None, full_refresh: bool):
    """(the build plan, a dbtRunner holding the manifest parsed for it, so the build does not parse again)."""
    from dbt.cli.main import dbtRunner

    from funnelhouse import build_plan

    parsed = dbtRunner().invoke(["--quiet", "parse", *common])
    if not parsed.success:
        raise FunnelhouseError(f"dbt parse failed: {str(parsed.exception).strip().splitlines()[0]} "
                               f"(details in {project / 'logs' / 'dbt.log'})")
    manifest = json.loads((artifacts / "manifest.json").read_text(encoding="utf-8"))
    day = as_of or datetime.now(timezone.utc).date().isoformat()
    with _planning_warehouse(warehouse).connect() as connection:
        previous_run, previous, since = build_plan.last_build(connection) or (None, None, [])
        current = build_plan.current_state(connection, manifest, project, day, previous)
        plan = build_plan.plan_build(manifest, previous, current, previous_run, full_refresh=full_refresh,
                                     since=since)
        if not plan.nothing_to_do:  # a build killed half way leaves this row: the next one redoes it
            plan.run_id = build_plan.record_build(connection, current, status="started")
    return plan, dbtRunner(manifest=parsed.result)


def _planning_warehouse(warehouse: Path, target: str | None = None):
    """The warehouse of `target` (default settings.warehouse_kind()) when it records builds (funnelhouse.build_plan:
    DuckDB only, see Warehouse.plans_builds), else None."""
    from funnelhouse.warehouse import current

    store = current(target, duckdb_file=warehouse)
    return store if store.plans_builds else None


def forget_recorded_builds(warehouse: Path) -> None:
    """Drop the builds funnelhouse.build_plan recorded (the next refresh builds everything)."""
    from funnelhouse import build_plan

    store = _planning_warehouse(warehouse)
    if store is not None and (not store.is_file or Path(warehouse).exists()):
        with store.connect() as connection:
            build_plan.forget_builds(connection)


def remember_build(warehouse: Path, project: Path, as_of: str | None, plan=None, artifacts: Path | None = None) -> None:
    """After a successful build of the whole project (or of what `plan` said changed), record what it saw
    (funnelhouse.build_plan), so that the next refresh builds only what changes after it. `artifacts`: the
    build's target folder (default <project>/target)."""
    from funnelhouse import build_plan

    with _planning_warehouse(warehouse).connect() as connection:
        artifacts = artifacts or project / "target"
        results = artifacts / "run_results.json"
        if plan is None:
            manifest = json.loads((artifacts / "manifest.json").read_text(encoding="utf-8"))
            state = build_plan.current_state(connection, manifest, project,
                                             as_of or datetime.now(timezone.utc).date().isoformat())
        else:
            state = plan.current
        if as_of is None and results.exists():
            state = build_plan.as_built(state, json.loads(results.read_text(encoding="utf-8")))
        build_plan.record_build(connection, state, getattr(plan, "run_id", None))


def _runs_grant_hook(project: Path) -> bool:
    """True when the project's dbt_project.yml calls grant_bi_role itself (an on-run-end hook)."""
    import yaml

    config = project / "dbt_project.yml"
    if not config.exists():
        return False
    hooks = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("on-run-end") or []
    return any("grant_bi_role" in str(hook) for hook in ([hooks] if isinstance(hooks, str) else hooks))


def _connect_postgres():
    """A psycopg2 connection (autocommit) to the Postgres warehouse; a one-line error (password never shown) when
    it fails."""
    from funnelhouse.warehouse.postgres import PostgresWarehouse

    return PostgresWarehouse().open().raw


def set_bi_password(password: str, role: str = BI_ROLE) -> None:
    """Let `role` log in with `password` on the Postgres warehouse. The password is hashed here (SCRAM, as
    psql's \\password does), so neither dbt's log nor the server's statement log ever sees it in clear."""
    import psycopg2
    from psycopg2 import sql
    from psycopg2.extensions import encrypt_password

    connection = _connect_postgres()
    try:
        with connection, connection.cursor() as cursor:
            verifier = encrypt_password(password, role, connection)
            cursor.execute(sql.SQL("alter role {} with login password {}").format(
                sql.Identifier(role), sql.Literal(verifier)))
    except psycopg2.Error as error:
        raise FunnelhouseError(f"setting the password of {role} failed: {str(error).strip()}") from None
    finally:
        connection.close()


def _query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of `sql` (parameters as ?) on the warehouse settings.warehouse_kind() says: the DuckDB file `warehouse`,
    or Postgres / Spark (`warehouse` is then not used)."""
    from funnelhouse.warehouse import current

    store = current(duckdb_file=warehouse)
    if store.is_file and not Path(warehouse).exists():
        raise FunnelhouseError(f"{warehouse}: no warehouse here; load data and run the dbt build first")
    with store.connect(read_only=True) as connection:
        try:
            return connection.execute(sql, params or []).fetchall()
        except connection.missing_errors:
            raise FunnelhouseError(
                f"{store.describe()}: the funnel marts are not built yet; run the dbt build first") from None


def _number(value: object) -> float | None:
    return None if value is None else float(value)


def funnel_summary(warehouse: Path) -> list[FunnelStage]:
    """The overall funnel in stage order: stage, deals reached and entered, adjacent and cumulative conversion."""
    rows = _query(
        warehouse,
        """
        select stage_code, stage_name_zh, stage_name_en, reached, entered, adjacent_conversion_rate,
               cumulative_conversion_rate
        from marts.mart_funnel_conversion
        where segment_type = 'overall'
        order by stage_order
        """,
    )
    return [
        FunnelStage(code, zh, en, int(reached), int(entered), _number(adjacent), _number(cumulative))
        for code, zh, en, reached, entered, adjacent, cumulative in rows
    ]


def top_loss_reasons(warehouse: Path, n: int = 3) -> list[LossReason]:
    """The `n` most frequent normalised loss reasons over all months (deals without a written reason left out)."""
    rows = _query(
        warehouse,
        """
        with reasons as (
            select
                loss_reason_code,
                min(reason_name_zh) as name_zh,
                min(reason_name_en) as name_en,
                sum(lost_deals) as lost_deals,
                coalesce(sum(amount_lost_reporting), 0) as amount_lost_reporting,
                min(reason_rank) as reason_rank,
                min(reporting_currency) as reporting_currency
            from marts.mart_loss_reasons
            group by 1
        ),
        totals as (select sum(lost_deals) as all_lost from reasons)
        select loss_reason_code, name_zh, name_en, lost_deals, lost_deals / all_lost, amount_lost_reporting,
            reporting_currency
        from reasons cross join totals
        where reason_rank is not null
        order by reason_rank
        limit ?
        """,
        [int(n)],
    )
    return [
        LossReason(code, zh, en, int(lost), float(share), float(amount), currency or "CNY")
        for code, zh, en, lost, share, amount, currency in rows
    ]
