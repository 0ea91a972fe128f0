"""The demo: generate data once, serve the HubSpot, Salesforce, Pipedrive, Zoho and fxiaoke emulators, run the refresh
through Dagster, print the funnel."""
from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from funnelhouse import settings
from funnelhouse.console import console, errors
from ingestion.common.errors import FunnelhouseError

EMULATOR_TOKEN = "demo-emulator-token"
# the connected app the Salesforce emulator grants client credentials to
SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET = "demo-client-id", "demo-client-secret"
# the self client the Zoho emulator's accounts server grants refresh-token grants to
ZOHO_CLIENT = {"client_id": "demo-zoho-client-id", "client_secret": "demo-zoho-client-secret",
               "refresh_token": "demo-zoho-refresh-token"}
# the self-built app the fxiaoke emulator's tenant granted
FXIAOKE_APP = {"app_id": "FSAID_demo", "app_secret": "demo-fxiaoke-app-secret",
               "permanent_code": "demo-fxiaoke-permanent-code"}
GENERATED_FOLDERS = ("forms", "spreadsheets", "crm", "salesforce", "pipedrive", "zoho", "fxiaoke")
DEMO_AS_OF = "2026-09-30"  # the generator's cut-off: the funnel is built as of the day the demo data ends
DBT_GROUPS = ("staging", "intermediate", "marts", "funnel_config")  # the first part of a dbt asset's key


def ensure_demo_inputs(seed: int, scale: float) -> None:
    """Write the demo data set under data/inputs unless the same seed and scale are already there (read from the
    generator's manifest.json), every generated folder included (a data set written before the generator knew
    Salesforce, Pipedrive, Zoho and fxiaoke is written again). Other generated data there is removed first, so no file of another
    scale stays."""
    from funnelhouse.generate import generate

    inputs = settings.inputs_dir()
    manifest = inputs / "manifest.json"
    if manifest.exists():
        written = json.loads(manifest.read_text(encoding="utf-8"))
        complete = all((inputs / folder).is_dir() for folder in GENERATED_FOLDERS)
        if (written.get("seed"), float(written.get("scale", -1))) == (seed, float(scale)) and complete:
            console.print(f"Demo data: reusing {inputs} (seed {seed}, scale {scale})")
            return
        for folder in GENERATED_FOLDERS:
            shutil.rmtree(inputs / folder, ignore_errors=True)
    console.print(f"Demo data: generating seed {seed}, scale {scale} into {inputs} ...")
    counts = generate(inputs, seed=seed, scale=scale)
    console.print("Demo data: " + ", ".join(f"{count:,} {what}" for what, count in counts.items()))


def run_demo(seed: int = 42, scale: float = 1.0) -> None:
    """Generate (once), then run the refresh job through Dagster in this process against the emulated CRMs: load
    forms, spreadsheets, HubSpot, Salesforce, Pipedrive, Zoho and fxiaoke, build the dbt project, run the checks;
    print what happened."""
    from orchestration.resources import FunnelhouseResource

    ensure_demo_inputs(seed, scale)
    with demo_emulators() as api_settings:
        resource = FunnelhouseResource(as_of=DEMO_AS_OF, api_settings=api_settings)
        outcome = refresh_through_dagster(resource)
    show_funnel(resource.warehouse_path())
    report = resource.warehouse_path().parent / "reports" / "funnel_report.html"
    if "quality/funnel_report" in outcome.materialized:
        console.print(f"Funnel report: {report}", highlight=False, soft_wrap=True)
    if not outcome.success:
        raise FunnelhouseError(f"the refresh failed: {outcome.error or 'see ' + str(outcome.log_file)}")


def run_demo_on_postgres(seed: int = 42, scale: float = 1.0) -> None:
    """The demo on Postgres: the server FUNNELHOUSE_POSTGRES_DSN (or PGHOST) names, else a throwaway one started
    from Debian's binaries (stopped and removed when the demo ends); then how a BI tool connects (role funnel_bi,
    schema marts; the password is never printed)."""
    import os

    if os.environ.get(settings.POSTGRES_DSN_ENV, "").strip() or os.environ.get("PGHOST", "").strip():
        run_demo(seed=seed, scale=scale)
        show_bi_connection(None)
        return
    from funnelhouse.warehouse.throwaway_postgres import PostgresUnavailable, throwaway_postgres

    try:
        server_context = throwaway_postgres()
        server = server_context.__enter__()
    except PostgresUnavailable as error:
        raise FunnelhouseError(f"{error}") from None
    password_file = None
    previous = {name: os.environ.get(name) for name in (settings.POSTGRES_DSN_ENV, BI_PASSWORD_ENV)}
    try:
        os.environ[settings.POSTGRES_DSN_ENV] = server.dsn
        if not os.environ.get(BI_PASSWORD_ENV):
            password_file = _write_bi_password()
        console.print(f"Postgres: a throwaway server on {server.host}:{server.port} (Debian's binaries), removed "
                      f"when the demo ends; set {settings.POSTGRES_DSN_ENV} to use a server of yours")
        run_demo(seed=seed, scale=scale)
        show_bi_connection(password_file, throwaway=True)
    finally:
        settings.restore_env(previous)
        server_context.__exit__(None, None, None)


BI_PASSWORD_ENV = "FUNNELHOUSE_BI_PASSWORD"


def _write_bi_password() -> Path:
    """A new password for funnel_bi in env FUNNELHOUSE_BI_PASSWORD and in <data>/postgres_demo/funnel_bi.password
    (mode 600): the demo sets it, a person reads it from the file (it is never printed)."""
    import os
    import secrets

    folder = settings.data_dir() / "postgres_demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "funnel_bi.password"
    password = secrets.token_urlsafe(16)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    os.environ[BI_PASSWORD_ENV] = password
    return path


def show_bi_connection(password_file: Path | None, throwaway: bool = False) -> None:
    """How a BI tool reads the marts on Postgres: host, port, database, role funnel_bi, schema marts."""
    import os

    server = settings.postgres_settings()
    if password_file is not None:
        password = f"in {password_file}"
    elif os.environ.get(BI_PASSWORD_ENV):
        password = f"the value of {BI_PASSWORD_ENV}"
    else:
        password = f"none set: set {BI_PASSWORD_ENV} before the refresh, or a DBA runs \\password funnel_bi in psql"
    console.print(f"BI tools: connect to postgresql://funnel_bi@{server.host}:{server.port}/{server.database}, "
                  f"schema marts (read-only; password {password})"
                  + (" while the server runs" if throwaway else ""), highlight=False, soft_wrap=True)


@contextmanager
def demo_emulators() -> Iterator[dict[str, dict[str, str]]]:
    """The HubSpot, Salesforce, Pipedrive, Zoho and fxiaoke emulators on the demo's generated seeds (plain http on
    free ports of 127.0.0.1), while the block runs; yields the settings of the five API sources by their registry
    keys."""
    from emulators.fxiaoke.server import FxiaokeEmulator
    from emulators.hubspot.server import HubSpotEmulator
    from emulators.pipedrive.server import PipedriveEmulator
    from emulators.salesforce.server import SalesforceEmulator
    from emulators.zoho.server import ZohoEmulator

    inputs = settings.inputs_dir()
    with ExitStack() as running:
        hubspot = running.enter_context(HubSpotEmulator(inputs / "crm", token=EMULATOR_TOKEN))
        salesforce = running.enter_context(SalesforceEmulator(
            inputs / "salesforce", session_id=EMULATOR_TOKEN, client_id=SALESFORCE_CLIENT_ID,
            client_secret=SALESFORCE_CLIENT_SECRET))
        pipedrive = running.enter_context(PipedriveEmulator(inputs / "pipedrive", token=EMULATOR_TOKEN))
        zoho = running.enter_context(ZohoEmulator(inputs / "zoho", access_token=EMULATOR_TOKEN, **ZOHO_CLIENT))
        fxiaoke = running.enter_context(FxiaokeEmulator(inputs / "fxiaoke", **FXIAOKE_APP))
        for emulator in (hubspot, salesforce, pipedrive, zoho, fxiaoke):
            console.print(f"{emulator.vendor_name} emulator: serving on {emulator.base_url}")
        yield {
            "hubspot": {"base_url": hubspot.base_url, "api_token": EMULATOR_TOKEN},
            "salesforce": {"login_url": salesforce.base_url, "client_id": SALESFORCE_CLIENT_ID,
                           "client_secret": SALESFORCE_CLIENT_SECRET},
            "pipedrive": {"base_url": pipedrive.base_url, "api_token": EMULATOR_TOKEN},
            "zoho": {"accounts_url": zoho.base_url, **ZOHO_CLIENT},
            "fxiaoke": {"base_url": fxiaoke.base_url, "current_open_user_id": first_employee(inputs / "fxiaoke"),
                        **FXIAOKE_APP},
        }


def first_employee(seed: Path) -> str:
    """The openUserId the fxiaoke queries run as: the first employee of the seed's address book (the head of
    sales, who sees every record)."""
    with (seed / "employees.jsonl").open(encoding="utf-8") as lines:
        return json.loads(next(lines))["openUserId"]


def refresh_through_dagster(resource, *, full_refresh: bool = False):
    """The refresh job in-process on the project's Dagster instance (the UI shows the run); prints the
    reconciliation, each asset's status and each check's result."""
    from rich.markup import escape

    from funnelhouse.console import asset_status_table, check_table, reconciliation_table, summary_lines
    from orchestration.instance import project_instance
    from orchestration.refresh import run_refresh

    def announce(log_file, recovered: list[str]) -> None:
        for note in recovered:
            errors.print(f"[bold yellow]recovered:[/] {escape(note)}", highlight=False, soft_wrap=True)
        console.print(f"Refresh through Dagster (as of {resource.as_of or 'today'}), log in {log_file} ...")

    with project_instance() as instance:
        outcome = run_refresh(resource, instance, full_refresh=full_refresh,
                              log_dir=settings.data_dir() / "dagster" / "logs", announce=announce)
    loaded = [summary for summary in outcome.load_summaries if not summary.skipped]
    if loaded:
        console.print(reconciliation_table(loaded))
    for line in summary_lines(outcome.load_summaries):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for message in [m for summary in outcome.load_summaries for m in summary.warnings]:
        errors.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)
    for message in outcome.file_errors:
        errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    console.print(asset_status_table(outcome.materialized, outcome.skipped))
    console.print(check_table(outcome.checks))
    dbt_failed = [c for c in outcome.failed_checks if not c.is_gx and c.severity == "ERROR"]
    if "marts/fct_deals" in outcome.materialized and not dbt_failed:
        console.print("dbt build: all models and tests passed")
    elif outcome.success and not any(key.split("/")[0] in DBT_GROUPS for key in outcome.materialized):
        console.print("dbt build: nothing to build, no new load since the last successful build")
    console.print(
        f"Dagster run {outcome.run_id}: {'success' if outcome.success else '[red]failure[/]'} in "
        f"{outcome.seconds:.1f} s; {len(outcome.materialized)} assets materialized, {len(outcome.skipped)} skipped, "
        f"{len(outcome.checks)} checks ({len(outcome.failed_checks)} failed)"
    )
    return outcome


def show_funnel(warehouse) -> None:
    """The overall funnel and the top 3 loss reasons, read from the marts."""
    from funnelhouse.console import funnel_table, loss_reason_table
    from funnelhouse.transform import funnel_summary, top_loss_reasons

    console.print(funnel_table(funnel_summary(warehouse)))
    console.print(loss_reason_table(top_loss_reasons(warehouse, 3)))
