"""Command-line entry point: `funnelhouse demo | generate | ingest | quarantine | build | refresh | report | ui |
emulate`."""
from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape

from funnelhouse import settings
from funnelhouse.console import (
    IngestProgress, console, errors, explain, quarantine_report, reconciliation_table, summary_lines,
)
from ingestion.common.errors import FunnelhouseError
from ingestion.connectors import SOURCES, settings_from_env

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="funnelhouse: a sales-funnel warehouse. Loads web forms, sales spreadsheets and CRM APIs into DuckDB "
    "with dlt. Start with `funnelhouse demo`.",
)
emulate_app = typer.Typer(no_args_is_help=True, help="Serve a local emulator of a CRM API (for tests and demos).")
app.add_typer(emulate_app, name="emulate")


# the sources of ingestion.connectors (forms, spreadsheets, hubspot, ...), and all of them
SourceChoice = Enum("SourceChoice", {name: name for name in (*SOURCES, "all")}, type=str)


def before_run(*checks) -> None:
    """Run the preflight checks (funnelhouse.preflight) of a command; the first that fails ends it in one line."""
    try:
        for check in checks:
            check()
    except FunnelhouseError as exc:
        fail(exc)


def wait_for_warehouse(warehouse: Path) -> None:
    """Wait (FUNNELHOUSE_WAREHOUSE_LOCK_WAIT seconds) while another process holds the DuckDB warehouse."""
    from funnelhouse.warehouse_lock import wait_for_warehouse as wait

    def tell(message: str) -> None:
        errors.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)

    try:
        wait(warehouse, on_wait=tell)
    except Exception as exc:  # noqa: BLE001
        fail(exc, EXIT_LOAD_FAILED)


def fail(exc: BaseException, code: int = 2) -> None:
    errors.print(f"[bold red]error:[/] {escape(explain(exc))}", highlight=False, soft_wrap=True)
    if os.environ.get("FUNNELHOUSE_DEBUG"):
        raise exc
    raise typer.Exit(code)


INGEST_EXIT_CODES = (
    "Exit codes: 0 every input was read (rows may be quarantined: see funnelhouse quarantine; spreadsheet files that "
    "no mapping entry matches are a warning naming them). 1 some input files were rejected whole (each named on one "
    "line), the others were read. 2 a configuration error (mapping.yaml, forms.yaml, CRM (HubSpot, Salesforce, "
    "Pipedrive, Zoho, a YAML CRM) or warehouse settings), nothing loaded. 3 nothing could be read (no source has input or "
    "configuration, or every input was rejected). 4 the load failed (e.g. the warehouse is locked, or rows did not "
    "reconcile)."
)
EXIT_OK, EXIT_REJECTED, EXIT_CONFIG, EXIT_NOTHING_READ, EXIT_LOAD_FAILED = 0, 1, 2, 3, 4
EXIT_CHECK_FAILED = 1  # build: the deal-coverage check failed (the marts are built, but leave too much out)


@app.command(epilog=INGEST_EXIT_CODES)
def ingest(
    source: SourceChoice = typer.Argument(SourceChoice.all, help=f"Which source to load: {', '.join(SOURCES)}, "
                                          "or all of them."),
    inputs: Path = typer.Option(None, help="Root of the drop folders (forms/, spreadsheets/). "
                                "Default: data/inputs, or env FUNNELHOUSE_INPUTS."),
    warehouse: Path = typer.Option(None, help="DuckDB warehouse file. Default: data/funnelhouse.duckdb, "
                                   "or env FUNNELHOUSE_WAREHOUSE."),
    hubspot_url: str = typer.Option(None, help="HubSpot API base URL (default: sources.hubspot.base_url in "
                                    ".dlt/config.toml)."),
    progress: bool = typer.Option(False, help="Show dlt's progress while loading."),
) -> None:
    """Load new or changed input files and CRM records into raw_<source> datasets, then print the reconciliation.

    Files already loaded (same content fingerprint and the same mapping and stage map) are skipped, so running it
    twice loads nothing new; a file read again replaces its earlier quarantine rows. A source with no input or no
    configuration is skipped with one line saying so. Bad rows go to each dataset's `quarantine` table with the
    file, row, field and reason: `funnelhouse quarantine` lists them with the fix.
    """
    from ingestion.run import IngestOptions, ingest as run_ingest

    options = IngestOptions(progress="log" if progress else None)
    if inputs:
        options.inputs_dir = inputs
    if warehouse:
        options.warehouse = warehouse
    options.api_settings = settings_from_env(os.environ)  # e.g. FUNNELHOUSE_HUBSPOT_TOKEN
    options.hubspot_base_url = hubspot_url or None
    names = list(SOURCES) if source is SourceChoice.all else [source.value]
    wait_for_warehouse(options.warehouse)
    try:
        with IngestProgress(errors) as rows_progress:  # rows read per source, on stderr
            options.on_rows = rows_progress.report
            summaries, file_errors = run_ingest(names, options)
    except Exception as exc:  # noqa: BLE001 - one line for the user, traceback with FUNNELHOUSE_DEBUG=1
        fail(exc, EXIT_CONFIG if is_configuration_error(exc) else EXIT_LOAD_FAILED)
    ran = [summary for summary in summaries if not summary.skipped]
    if ran:
        console.print(reconciliation_table(ran))
    for line in summary_lines(summaries):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for summary in summaries:
        for message in summary.warnings:
            errors.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)
    for message in file_errors:
        errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    read = [t for summary in ran for t in summary.tallies if t.status not in ("rejected", "unmapped")]
    if not read:
        errors.print("[bold red]error:[/] nothing could be read: no source had a readable input (see the lines "
                     "above)", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_NOTHING_READ)
    if file_errors:
        raise typer.Exit(EXIT_REJECTED)


def is_configuration_error(exc: BaseException) -> bool:
    """Whether the exception chain holds a configuration mistake (mapping.yaml, forms.yaml, dlt settings, env)."""
    from ingestion.common.explain import exception_chain

    names = [type(error).__name__ for error in exception_chain(exc)]
    return any("Mapping" in name or "Config" in name for name in names)


@app.command()
def quarantine(
    warehouse: Path = typer.Option(None, help="DuckDB warehouse file. Default: data/funnelhouse.duckdb, "
                                   "or env FUNNELHOUSE_WAREHOUSE."),
) -> None:
    """List the open quarantine of every source: the rows ingestion could not load, grouped by reason (values
    stripped), with counts, one example row (emails and phones masked) and the fix it suggests. Fix, then run
    `funnelhouse ingest`: the files the fix applies to are read again and their rows leave the quarantine."""
    from funnelhouse.quarantine import open_quarantine

    try:
        groups = open_quarantine(warehouse or settings.warehouse_path())
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    console.print(quarantine_report(groups), markup=False, highlight=False, soft_wrap=True)


class RateLimits(str, Enum):
    """`funnelhouse emulate hubspot --rate-limits`: the names of emulators.hubspot.account.RATE_LIMIT_PROFILES."""

    off = "off"
    hubspot = "hubspot"


def seed_option(vendor: str, files: str, folder: str):
    """--data of an emulate command: the seed folder `funnelhouse generate` writes for the vendor."""
    return typer.Option(None, help=f"Folder with the {vendor} seed files ({files}). Default: data/inputs/{folder}, "
                        "written by `funnelhouse generate`.")


def port_option(default: int):
    return typer.Option(default, help="Port on 127.0.0.1.")


def token_option(accepted_as: str):
    return typer.Option("emulator-token", envvar="FUNNELHOUSE_EMULATOR_TOKEN",
                        help=f"Token the emulator accepts ({accepted_as}).")


CERTFILE_OPTION = typer.Option(None, help="Serve https with this certificate (PEM); with --keyfile.")
KEYFILE_OPTION = typer.Option(None, help="The certificate's private key (PEM); with --certfile.")


def tls_files(certfile: Path | None, keyfile: Path | None) -> dict[str, Path]:
    """The emulator's ssl_certfile / ssl_keyfile keywords: both or neither (plain http)."""
    if (certfile is None) != (keyfile is None):
        fail(FunnelhouseError("--certfile and --keyfile go together: give both to serve https, or neither for http"))
    return {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if certfile else {}


def require_seed(folder: Path, vendor: str, marker: str, files: str) -> None:
    """An emulator serves the files `funnelhouse generate` writes: `marker` must be in `folder`."""
    if not (folder / marker).is_file():
        raise FunnelhouseError(f"{folder}: no {vendor} seed files ({files}): run `funnelhouse generate` first, or "
                               "pass --data with a folder that has them")


@emulate_app.command("hubspot")
def emulate_hubspot(
    data: Path = seed_option("CRM", "owners.jsonl, deals.jsonl, ...", "crm"),
    port: int = port_option(8765),
    token: str = token_option("Bearer"),
    rate_limits: RateLimits = typer.Option(RateLimits.off, help="off: no limit; hubspot: HubSpot's published "
                                           "private-app limits (190 requests per rolling 10 s, 5 searches per "
                                           "second), answered with 429."),
    missing_scope: list[str] = typer.Option([], help="A scope the token lacks (e.g. crm.objects.deals.read): its "
                                            "endpoints answer 403 MISSING_SCOPES. Repeat for several."),
) -> None:
    """Serve a HubSpot CRM v3 API emulator in the foreground (Ctrl-C stops it)."""
    from emulators.hubspot.account import RATE_LIMIT_PROFILES
    from emulators.hubspot.server import serve_forever

    from funnelhouse.preflight import require_crm_seed

    folder = data or settings.inputs_dir() / "crm"
    before_run(lambda: require_crm_seed(folder))
    serve_forever(folder, token=token, host="127.0.0.1", port=port, missing_scopes=tuple(missing_scope),
                  **RATE_LIMIT_PROFILES[rate_limits.value])


def rate_limit_names(vendor: str) -> type[Enum]:
    """`funnelhouse emulate <vendor> --rate-limits`: off, or the vendor's profile of
    emulators.<vendor>.app.RATE_LIMIT_PROFILES."""
    return Enum(f"{vendor.capitalize()}RateLimits", {"off": "off", vendor: vendor}, type=str)


PipedriveRateLimits = rate_limit_names("pipedrive")


@emulate_app.command("pipedrive")
def emulate_pipedrive(
    data: Path = seed_option("Pipedrive", "deals.jsonl, deal_changelog.jsonl, ...", "pipedrive"),
    port: int = port_option(8766),
    token: str = token_option("x-api-token, ?api_token= or Bearer"),
    rate_limits: PipedriveRateLimits = typer.Option(PipedriveRateLimits.off, help="off: no limit; pipedrive: an API "
                                                    "token's burst limit on the Professional plan (80 requests per "
                                                    "rolling 2 s), answered with 429."),
    certfile: Path = CERTFILE_OPTION,
    keyfile: Path = KEYFILE_OPTION,
) -> None:
    """Serve a Pipedrive API emulator in the foreground (Ctrl-C stops it).

    API v2 deals, pipelines, stages, persons and organizations; v1 users, deal changelogs and deal fields."""
    from emulators.pipedrive.app import RATE_LIMIT_PROFILES
    from emulators.pipedrive.server import serve_forever

    folder = data or settings.inputs_dir() / "pipedrive"
    before_run(lambda: require_seed(folder, "Pipedrive", "deals.jsonl", "deals.jsonl, deal_changelog.jsonl, ..."))
    serve_forever(folder, token=token, host="127.0.0.1", port=port, **tls_files(certfile, keyfile),
                  **RATE_LIMIT_PROFILES[rate_limits.value])


@emulate_app.command("salesforce")
def emulate_salesforce(
    data: Path = seed_option("Salesforce", "fields.json, Opportunity.jsonl, ...", "salesforce"),
    port: int = port_option(8767),
    token: str = token_option("as a Bearer session id from the start"),
    client_id: str = typer.Option("emulator-client-id", envvar="FUNNELHOUSE_EMULATOR_CLIENT_ID",
                                  help="Consumer key of the connected app the token endpoint grants to."),
    client_secret: str = typer.Option("emulator-client-secret", envvar="FUNNELHOUSE_EMULATOR_CLIENT_SECRET",
                                      help="Consumer secret of that app."),
    daily_cap: int = typer.Option(100_000, min=1, help="The org's 24-hour API request allocation: every answer "
                                  "carries Sforce-Limit-Info; past it requests answer 403 REQUEST_LIMIT_EXCEEDED."),
    certfile: Path = CERTFILE_OPTION,
    keyfile: Path = KEYFILE_OPTION,
) -> None:
    """Serve a Salesforce REST API v62.0 emulator in the foreground (Ctrl-C stops it).

    OAuth token endpoint (client-credentials and refresh-token grants), SOQL query / queryAll with nextRecordsUrl
    paging, describe, limits and Bulk API 2.0 query jobs. Its base URL is the login URL and the instance URL."""
    from emulators.salesforce.server import serve_forever

    folder = data or settings.inputs_dir() / "salesforce"
    before_run(lambda: require_seed(folder, "Salesforce", "fields.json", "fields.json, Opportunity.jsonl, ..."))
    serve_forever(folder, "127.0.0.1", port, session_id=token, client_id=client_id, client_secret=client_secret,
                  daily_cap=daily_cap, **tls_files(certfile, keyfile))


ZohoRateLimits = rate_limit_names("zoho")


@emulate_app.command("zoho")
def emulate_zoho(
    data: Path = seed_option("Zoho CRM", "Deals.jsonl, Stage_History.jsonl, pipelines.json, ...", "zoho"),
    port: int = port_option(8768),
    token: str = token_option("as a Zoho-oauthtoken access token from the start"),
    client_id: str = typer.Option("emulator-client-id", envvar="FUNNELHOUSE_EMULATOR_CLIENT_ID",
                                  help="Client id of the self client the accounts server grants tokens to."),
    client_secret: str = typer.Option("emulator-client-secret", envvar="FUNNELHOUSE_EMULATOR_CLIENT_SECRET",
                                      help="Client secret of that self client."),
    refresh_token: str = typer.Option("emulator-refresh-token", envvar="FUNNELHOUSE_EMULATOR_REFRESH_TOKEN",
                                      help="Refresh token the accounts server exchanges for access tokens."),
    rate_limits: ZohoRateLimits = typer.Option(ZohoRateLimits.off, help="off: no limit; zoho: an Enterprise org of "
                                               "10 users (25,000 API credits a day, one per call; 20 calls a "
                                               "second), answered with 429 TOO_MANY_REQUESTS."),
    certfile: Path = CERTFILE_OPTION,
    keyfile: Path = KEYFILE_OPTION,
) -> None:
    """Serve a Zoho CRM API v8 emulator in the foreground (Ctrl-C stops it).

    The accounts server's /oauth/v2/token (refresh-token grant) and /crm/v8 modules, Stage_History, deleted
    records, COQL and the pipelines settings, on one host: use its base URL as accounts_url."""
    from emulators.zoho.app import RATE_LIMIT_PROFILES
    from emulators.zoho.server import serve_forever

    folder = data or settings.inputs_dir() / "zoho"
    files = "Deals.jsonl, Stage_History.jsonl, pipelines.json, ..."
    before_run(lambda: require_seed(folder, "Zoho CRM", "Deals.jsonl", files))
    serve_forever(folder, "127.0.0.1", port, access_token=token, client_id=client_id, client_secret=client_secret,
                  refresh_token=refresh_token, **tls_files(certfile, keyfile),
                  **RATE_LIMIT_PROFILES[rate_limits.value])


FxiaokeRateLimits = rate_limit_names("fxiaoke")


@emulate_app.command("fxiaoke")
def emulate_fxiaoke(
    data: Path = seed_option("fxiaoke", "NewOpportunityObj.jsonl, describe/, employees.jsonl, ...", "fxiaoke"),
    port: int = port_option(8769),
    app_id: str = typer.Option("FSAID_emulator", envvar="FUNNELHOUSE_EMULATOR_APP_ID",
                               help="appId of the self-built app the tenant granted."),
    app_secret: str = typer.Option("emulator-app-secret", envvar="FUNNELHOUSE_EMULATOR_APP_SECRET",
                                   help="That app's appSecret."),
    permanent_code: str = typer.Option("emulator-permanent-code", envvar="FUNNELHOUSE_EMULATOR_PERMANENT_CODE",
                                       help="The tenant's permanentCode for the app."),
    rate_limits: FxiaokeRateLimits = typer.Option(FxiaokeRateLimits.off, help="off: no limit; fxiaoke: the "
                                                  "platform's 100 calls per 20 s on one route, answered with "
                                                  "errorCode 30004."),
) -> None:
    """Serve a 纷享销客 fxiaoke open-platform emulator in the foreground (Ctrl-C stops it).

    corpAccessToken (/cgi/corpAccessToken/get/V2), CRM data query and object describe (/cgi/crm/v2/...) and the
    address book (/cgi/user/list); errors as HTTP 200 with an errorCode, as the platform answers."""
    from emulators.fxiaoke.app import RATE_LIMIT_PROFILES
    from emulators.fxiaoke.server import serve_forever

    folder = data or settings.inputs_dir() / "fxiaoke"
    files = "NewOpportunityObj.jsonl, describe/, employees.jsonl, ..."
    before_run(lambda: require_seed(folder, "fxiaoke", "NewOpportunityObj.jsonl", files))
    serve_forever(folder, "127.0.0.1", port, app_id=app_id, app_secret=app_secret, permanent_code=permanent_code,
                  **RATE_LIMIT_PROFILES[rate_limits.value])


@app.command()
def demo(
    seed: int = typer.Option(42, help="Random seed of the demo data set."),
    scale: float = typer.Option(1.0, help="Size of the demo data: 1 ≈ 400 deals."),
    warehouse_kind: str = typer.Option(
        None, "--warehouse",
        help="duckdb (default: FUNNELHOUSE_WAREHOUSE_KIND), spark (FUNNELHOUSE_SPARK_WAREHOUSE, a local session) "
        "or postgres (the configured server, else a throwaway one started for the demo)."),
) -> None:
    """Run everything end to end: generate demo data (once), serve the HubSpot, Salesforce, Pipedrive, Zoho
    and fxiaoke emulators, load forms, spreadsheets and the five CRMs, build, check, and print the reconciliation
    and the funnel. On the embedded DuckDB by default; `--warehouse postgres` on the Postgres
    FUNNELHOUSE_POSTGRES_DSN (or PGHOST) names, or a throwaway server from Debian's binaries when none is
    configured. Safe to run again: nothing is loaded twice."""
    from funnelhouse.demo import run_demo, run_demo_on_postgres

    kind = (warehouse_kind or "").strip().lower() or None
    if kind is not None and kind not in settings.WAREHOUSE_KINDS:
        fail(FunnelhouseError(f"--warehouse must be one of {', '.join(settings.WAREHOUSE_KINDS)}, got {kind!r}"))
    if kind is not None:  # this process's setting: dlt, dbt and the checks read it
        os.environ[settings.WAREHOUSE_KIND_ENV] = kind
    on_postgres = settings.warehouse_kind() == "postgres"
    if settings.warehouse_kind() == "duckdb":
        wait_for_warehouse(settings.warehouse_path())
    try:
        (run_demo_on_postgres if on_postgres else run_demo)(seed=seed, scale=scale)
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001
        fail(exc)


@app.command()
def build(
    as_of: str = typer.Option(None, help="Build the funnel as of this day (YYYY-MM-DD); default today."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild incremental models from scratch."),
    unit_tests: bool = typer.Option(False, "--unit-tests", help="Run dbt's unit tests too (CI runs them)."),
) -> None:
    """dbt build (staging → intermediate → marts, with tests) on the warehouse FUNNELHOUSE_WAREHOUSE_KIND says
    (DuckDB file or Postgres), without Dagster; then the deal-coverage check (fails, naming the values to map, when
    the marts are empty or too many deals have an unmapped stage or channel) and the funnel."""
    from funnelhouse.demo import show_funnel
    from funnelhouse.preflight import check_as_of, require_loaded
    from funnelhouse.transform import dbt_build

    before_run(lambda: check_as_of(as_of))
    wait_for_warehouse(settings.warehouse_path())
    before_run(lambda: require_loaded(settings.warehouse_path()))
    try:
        dbt_build(settings.warehouse_path(), as_of=as_of, full_refresh=full_refresh, unit_tests=unit_tests)
        console.print("dbt build: all models and tests passed")
        coverage = check_deal_coverage(as_of)
        show_funnel(settings.warehouse_path())
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    if coverage is not None and coverage.blocking:
        fail(FunnelhouseError(f"deal coverage check failed: {coverage.summary()}"), EXIT_CHECK_FAILED)


def check_deal_coverage(as_of: str | None):
    """Run the deal-coverage suite (marts not empty, few deals left out for unmapped stages or unknown channels)
    on the warehouse after a build (any kind); print each failed expectation with the values to map."""
    from datetime import date

    from expectations import validate
    from funnelhouse.warehouse import current

    day = date.fromisoformat(as_of) if as_of else None
    with current().connect(read_only=True) as db:
        result = validate(db, "intermediate__int_deals__coverage", as_of=day)
    for outcome in result.failed:
        label = "[bold red]failed:[/]" if outcome.severity == "ERROR" else "[bold yellow]warning:[/]"
        errors.print(f"{label} {escape(outcome.description)}: {escape(outcome.detail)}", highlight=False,
                     soft_wrap=True)
    return result


@app.command()
def refresh(
    as_of: str = typer.Option("", help="Build the funnel as of this day (YYYY-MM-DD); default today."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild incremental models from scratch."),
) -> None:
    """Run the refresh job through Dagster in this process: load every source, dbt build, checks. The run is
    recorded in the project's Dagster instance (data/dagster), so the UI shows it."""
    from funnelhouse.demo import refresh_through_dagster, show_funnel
    from funnelhouse.preflight import check_as_of, refuse_if_refresh_running, require_something_to_refresh
    from orchestration.resources import FunnelhouseResource

    before_run(lambda: check_as_of(as_of, "FUNNELHOUSE_AS_OF"))
    resource = FunnelhouseResource(as_of=as_of)
    before_run(refuse_if_refresh_running)  # at once: never wait for the warehouse a running refresh holds
    wait_for_warehouse(resource.warehouse_path())
    before_run(lambda: require_something_to_refresh(resource))
    try:
        outcome = refresh_through_dagster(resource, full_refresh=full_refresh)
        if outcome.success:
            show_funnel(resource.warehouse_path())
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    if not outcome.success:
        fail(FunnelhouseError(f"the refresh failed at {outcome.error or 'a step: see ' + str(outcome.log_file)}"))


@app.command()
def report(
    out: str = typer.Option(None, "--out", help="Where to write the HTML file, or a folder for it (one that "
                            "exists, or a name ending in /). Default: data/reports/funnel_report.html."),
    warehouse: Path = typer.Option(None, help="DuckDB warehouse file. Default: data/funnelhouse.duckdb, "
                                   "or env FUNNELHOUSE_WAREHOUSE."),
) -> None:
    """Write the funnel report: one self-contained HTML file (works offline) with the funnel, conversion by
    channel, time in stage, the loss-reason Pareto, stale deals and the forecast, read from the marts."""
    from funnelhouse.report import write_report

    try:
        path = write_report(warehouse or settings.warehouse_path(), out)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    console.print(f"Report written to {path}", highlight=False, soft_wrap=True)


@app.command()
def ui(
    port: int = typer.Option(3000, help="Port of the Dagster UI on 127.0.0.1."),
) -> None:
    """Open the Dagster UI (dagster dev: webserver + daemon) on the project's instance: asset graph, checks, runs,
    schedules, sensors. Ctrl+C stops it and every process it started."""
    from orchestration.instance import instance_home
    from orchestration.service import check_port, refuse_if_service_running, supervise, ui_commands

    url = f"http://127.0.0.1:{port}"
    try:
        home = instance_home()
        refuse_if_service_running(home)
        check_port("127.0.0.1", port)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    console.print(f"Dagster UI on {url} (Ctrl+C stops it)")
    try:
        code = supervise(ui_commands(home, "127.0.0.1", port), home, "ui", url)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    raise typer.Exit(code)


@app.command()
def serve(
    port: int = typer.Option(3000, help="Port of the Dagster webserver."),
    host: str = typer.Option("127.0.0.1", help="Address the webserver listens on (0.0.0.0: every interface)."),
    dagster_home: Path = typer.Option(None, "--dagster-home", help="The Dagster instance folder, its dagster.yaml "
                                      "used as it is. Default: data/dagster, written from the project's "
                                      "dagster.yaml."),
) -> None:
    """Run funnelhouse as a service: the Dagster daemon (schedules, sensors, the run queue, run monitoring) and the
    webserver, until SIGTERM or Ctrl+C; exits non-zero when either of them dies (for systemd's Restart=)."""
    from orchestration.instance import instance_home
    from orchestration.service import check_port, refuse_if_service_running, service_commands, supervise

    url = f"http://{host}:{port}"
    try:
        home = Path(dagster_home).resolve() if dagster_home else instance_home()
        if not (home / "dagster.yaml").is_file():
            raise FunnelhouseError(f"{home / 'dagster.yaml'}: no such file; pass a folder that holds the "
                                   f"instance's dagster.yaml or leave --dagster-home out")
        refuse_if_service_running(home)
        check_port(host, port)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    console.print(f"funnelhouse service: Dagster daemon and webserver on {url} "
                  f"(instance {home}; SIGTERM or Ctrl+C stops it)", highlight=False, soft_wrap=True)
    try:
        code = supervise(service_commands(home, host, port), home, "serve", url)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    raise typer.Exit(code)


@app.command()
def bench(
    scale: float = typer.Option(1.0, min=0.001, help="Size of the generated data: 1 ≈ 400 deals, 25 ≈ 10k, "
                                "2500 ≈ 1M."),
    seed: int = typer.Option(42, help="Random seed of the generated data."),
    work: Path = typer.Option(None, help="Work folder (inputs, warehouses). Default: data/bench/scale<N>; inputs "
                              "already there for the same seed and scale are reused."),
    results_dir: Path = typer.Option(None, help="Where the JSON and Markdown results go. Default: bench/results."),
    regenerate: bool = typer.Option(False, "--regenerate", help="Generate the inputs again even if present."),
    skip: str = typer.Option("", help="Comma-separated variants to leave out: dbt_raw, floor, incremental, pandas."),
) -> None:
    """Benchmark the pipeline against a hand-written DuckDB lower bound, dbt's SQL run raw, a floor (the same work by
    the fastest means), an incremental night and pandas on generated data; print issue 15's goal table (wall and
    CPU seconds, HubSpot requests, peak memory per step), write bench/results/<time>_scale<N>.json/.md."""
    import sys

    if str(settings.PROJECT_ROOT) not in sys.path:  # bench/ lives in the repository, not in the installed package
        sys.path.insert(0, str(settings.PROJECT_ROOT))
    from bench.cli import run_and_report
    from bench.runner import BENCH_DIR, BenchOptions

    options = BenchOptions(scale=scale, seed=seed, work_dir=work, results_dir=results_dir or BENCH_DIR / "results",
                           regenerate=regenerate, skip=tuple(n.strip() for n in skip.split(",") if n.strip()))
    try:
        run_and_report(options, console)
    except Exception as exc:  # noqa: BLE001
        fail(exc)


def _register_generate() -> None:
    from funnelhouse.generate.cli import generate_command

    app.command(name="generate")(generate_command)


_register_generate()
