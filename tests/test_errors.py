"""Errors that say what to do: each failure an operator meets ends in one line naming the cause and the fix, in
bounded time (a HubSpot host that cannot be reached, a URL without a scheme, a wrong or missing token, a warehouse
another process holds, arguments that cannot work, a command run before the one it needs)."""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emulators.hubspot import HubSpotEmulator
from funnelhouse.cli import app
from support.skip_lines import ZOHO_SKIPPED

runner = CliRunner()
HUBSPOT_FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
BASE_URL_HELP = ("check base_url under [sources.hubspot] in .dlt/config.toml or FUNNELHOUSE_HUBSPOT_BASE_URL "
                 "(or --hubspot-url), and the network")
HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
"""


@pytest.fixture(autouse=True)
def no_hubspot_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """dlt's settings as in .dlt/config.toml (real retries and timeouts), no HubSpot settings from the env."""
    for name in ("SOURCES__HUBSPOT__API_TOKEN", "SOURCES__HUBSPOT__BASE_URL", "FUNNELHOUSE_HUBSPOT_BASE_URL",
                 "FUNNELHOUSE_HUBSPOT_TOKEN", "FUNNELHOUSE_AS_OF", "FUNNELHOUSE_WAREHOUSE_LOCK_WAIT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


@pytest.fixture
def closed_port():
    """A port held bound and never listening: refused for the whole test, no other process can take it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("error:", "warning:"))]


def ingest_hubspot(url: str, token: str = "some-token", *extra: str):
    started = time.monotonic()
    result = runner.invoke(app, ["ingest", "hubspot", "--hubspot-url", url, *extra],
                           env={"COLUMNS": "300", "FUNNELHOUSE_HUBSPOT_TOKEN": token})
    return result, time.monotonic() - started


# ---------------------------------------------------------------- HubSpot: host, URL, token
def test_a_closed_port_fails_in_one_line_within_15_seconds(closed_port: int) -> None:
    port = closed_port
    result, seconds = ingest_hubspot(f"http://127.0.0.1:{port}")
    # 4 tries (0, 1, 3, 5 s): retries of a refused connect stop after 5 s, not after request_max_attempts = 8
    assert seconds < 15, seconds
    assert result.exit_code == 4
    assert error_lines(result.output) == [
        f"error: Cannot reach HubSpot at http://127.0.0.1:{port} (connection refused): {BASE_URL_HELP}"]


def test_an_unknown_host_name_fails_in_one_line_within_15_seconds() -> None:
    result, seconds = ingest_hubspot("http://no-such-host.invalid")
    assert seconds < 15, seconds
    assert error_lines(result.output) == [
        f"error: Cannot reach HubSpot at http://no-such-host.invalid (unknown host name): {BASE_URL_HELP}"]



def test_a_host_that_takes_the_connection_but_never_answers_is_tried_twice(monkeypatch) -> None:
    accepted: list[socket.socket] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.1)
        stop = threading.Event()

        def take() -> None:  # accept every connection, read nothing, answer nothing
            while not stop.is_set():
                try:
                    accepted.append(server.accept()[0])
                except OSError:
                    pass

        taker = threading.Thread(target=take, daemon=True)
        taker.start()
        monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", "1")
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        try:
            result, seconds = ingest_hubspot(url)
        finally:
            stop.set()
            taker.join()
            for connection in accepted:
                connection.close()
    # 2 requests of 1 s each and one backoff wait of 1 s between them, not request_max_attempts = 8
    assert len(accepted) == 2 and seconds < 15, (len(accepted), seconds)
    assert result.exit_code == 4
    assert error_lines(result.output) == [
        f"error: Cannot reach HubSpot at {url} (it took the connection but sent no answer within [runtime] "
        f"request_timeout, 2 times): {BASE_URL_HELP}"]

def test_a_url_without_a_scheme_is_refused_before_any_request() -> None:
    result, seconds = ingest_hubspot("localhost:8765")
    assert seconds < 10, seconds
    assert result.exit_code == 2  # a configuration error
    assert error_lines(result.output) == [
        "error: HubSpot base URL 'localhost:8765' is not an http(s) URL: write it with its scheme, e.g. "
        "'http://localhost:8765', in base_url under [sources.hubspot] in .dlt/config.toml or "
        "FUNNELHOUSE_HUBSPOT_BASE_URL (or --hubspot-url)"]


def test_a_wrong_token_says_where_to_set_it() -> None:
    with HubSpotEmulator(HUBSPOT_FIXTURES, token="the-right-token") as emulator:
        result, seconds = ingest_hubspot(emulator.base_url, "not-the-token-4711")
        assert emulator.stats()["statuses"] == {"401": 1}  # the first request, not retried
    assert seconds < 15, seconds
    assert result.exit_code == 2  # a configuration error
    assert "not-the-token-4711" not in result.output
    assert error_lines(result.output) == [
        "error: HubSpot rejected the API token (401 Unauthorized): set api_token under [sources.hubspot] in "
        ".dlt/secrets.toml or FUNNELHOUSE_HUBSPOT_TOKEN"]


def test_a_base_url_that_is_not_the_api_says_so() -> None:
    with HubSpotEmulator(HUBSPOT_FIXTURES, token="the-right-token") as emulator:
        result, seconds = ingest_hubspot(f"{emulator.base_url}/v2", "the-right-token")
    assert seconds < 15, seconds
    assert error_lines(result.output) == [
        f"error: HubSpot answered 404 Not Found for /v2/crm/v3/pipelines/deals: is {emulator.base_url} HubSpot's API "
        "(https://api.hubapi.com)? check base_url under [sources.hubspot] in .dlt/config.toml or "
        "FUNNELHOUSE_HUBSPOT_BASE_URL (or --hubspot-url)"]


def test_a_missing_token_says_where_to_set_it_in_the_same_words() -> None:
    result = runner.invoke(app, ["ingest", "hubspot", "--hubspot-url", "http://127.0.0.1:9"], env={"COLUMNS": "300"})
    assert result.exit_code == 3
    assert ("hubspot: skipped — no api_token configured (set api_token under [sources.hubspot] in .dlt/secrets.toml "
            "or FUNNELHOUSE_HUBSPOT_TOKEN)") in result.output.splitlines()


def test_a_refresh_through_dagster_shows_the_cause_not_the_wrapper(tmp_path: Path, monkeypatch) -> None:
    """The refresh's error comes from Dagster's serialized STEP_FAILURE: the token message, not
    'PipelineStepFailed ... with exception:' and not 'Execution of step failed'."""
    from orchestration.refresh import run_refresh
    from orchestration.resources import FunnelhouseResource

    with HubSpotEmulator(HUBSPOT_FIXTURES, token="the-right-token") as emulator:
        resource = FunnelhouseResource(as_of="2025-06-30", inputs_dir=str(tmp_path / "none"),
                                       warehouse=str(tmp_path / "w.duckdb"), hubspot_base_url=emulator.base_url,
                                       hubspot_token="not-the-token-4711")
        outcome = run_refresh(resource, log_file=tmp_path / "refresh.log")
    assert not outcome.success
    assert outcome.error == (
        "ingest_hubspot: HubSpot rejected the API token (401 Unauthorized): set api_token under [sources.hubspot] "
        "in .dlt/secrets.toml or FUNNELHOUSE_HUBSPOT_TOKEN")


def test_a_serialized_dagster_error_is_explained_like_the_exception() -> None:
    from dagster._utils.error import serializable_error_info_from_exc_info
    from dlt.pipeline.exceptions import PipelineStepFailed

    from ingestion.common.explain import links_of_error_info, one_line
    from ingestion.common.errors import FunnelhouseError

    def failed(inner: BaseException):
        try:
            try:
                raise inner
            except Exception as error:  # what dlt does: the cause in .exception, text after "with exception:"
                raise PipelineStepFailed(None, "extract", "1", error) from error
        except Exception:  # noqa: BLE001
            return serializable_error_info_from_exc_info(sys.exc_info())

    assert one_line(links_of_error_info(failed(FunnelhouseError("deals.csv: row 3: fix the amount")))) == (
        "deals.csv: row 3: fix the amount")
    assert one_line(links_of_error_info(failed(KeyError("amount")))) == "KeyError: 'amount'"
    # a message that is a heading ends in a colon: the lines under it come along, on the same line
    heading = RuntimeError("1 blocking asset check failed with ERROR severity:\nraw_hubspot/deals: gx_raw_hubspot__deals")
    assert one_line(links_of_error_info(failed(heading))) == (
        "RuntimeError: 1 blocking asset check failed with ERROR severity: raw_hubspot/deals: gx_raw_hubspot__deals")


# ---------------------------------------------------------------- a warehouse another process holds
def hold(warehouse: Path, mode: str, seconds: float) -> subprocess.Popen:
    script = warehouse.parent / "holder.py"
    script.write_text(HOLDER, encoding="utf-8")
    holder = subprocess.Popen([sys.executable, str(script), str(warehouse), mode, str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def forms_inputs(tmp_path: Path, fixtures_dir: Path) -> Path:
    inputs = tmp_path / "inputs"
    shutil.copytree(fixtures_dir / "forms" / "typeform", inputs / "forms" / "typeform")
    return inputs


def normalised(text: str) -> str:
    return re.sub(r"\(PID \d+: [^)]*\)", "(PID <pid>: <command>)", text)


def ingest_while_held(warehouse: Path, inputs: Path, mode: str, held_for: float):
    """`ingest forms` while another process holds `warehouse` (for `held_for` seconds): (result, seconds, its pid)."""
    holder = hold(warehouse, mode, held_for)
    try:
        started = time.monotonic()
        result = runner.invoke(app, ["ingest", "forms", "--inputs", str(inputs), "--warehouse", str(warehouse)],
                               env={"COLUMNS": "400"})
        return result, time.monotonic() - started, holder.pid
    finally:
        holder.kill()
        holder.wait()


def test_a_locked_warehouse_is_waited_for_then_named(tmp_path: Path, fixtures_dir: Path, monkeypatch) -> None:
    warehouse = tmp_path / "w.duckdb"
    inputs = forms_inputs(tmp_path, fixtures_dir)
    assert runner.invoke(app, ["ingest", "forms", "--inputs", str(inputs), "--warehouse", str(warehouse)]).exit_code == 0
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_LOCK_WAIT", "1")
    result, seconds, pid = ingest_while_held(warehouse, inputs, "read", 60)
    assert f"(PID {pid}: " in result.output  # the holder's own pid and command line
    assert 1 <= seconds < 10, seconds
    assert result.exit_code == 4
    serving = warehouse.parent / "serving" / "funnelhouse_serving.duckdb"
    assert [normalised(line) for line in error_lines(result.output)] == [
        f"warning: the warehouse {warehouse} is locked by another process (PID <pid>: <command>): waiting up to 1 s "
        "(FUNNELHOUSE_WAREHOUSE_LOCK_WAIT)",
        f"error: the warehouse {warehouse} is locked by another process (PID <pid>: <command>) (still locked after "
        f"waiting 1 s, FUNNELHOUSE_WAREHOUSE_LOCK_WAIT): stop that process, and point dashboards and BI tools at the "
        f"serving copy {serving} instead of the warehouse"]


def test_a_reader_that_lets_go_in_time_only_delays_the_load(tmp_path: Path, fixtures_dir: Path, monkeypatch) -> None:
    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_LOCK_WAIT", "30")
    result, seconds, _ = ingest_while_held(warehouse, forms_inputs(tmp_path, fixtures_dir), "write", 2)
    assert result.exit_code == 0, result.output
    assert 1 < seconds < 30, seconds
    assert [normalised(line) for line in error_lines(result.output)] == [
        f"warning: the warehouse {warehouse} is locked by another process (PID <pid>: <command>): waiting up to 30 s "
        "(FUNNELHOUSE_WAREHOUSE_LOCK_WAIT)"]
    # the typeform fixture: 5 rows read, 3 loaded, 2 quarantined (tests/test_cli.py)
    row = next(line for line in result.output.splitlines() if "form_responses_2025-01.jsonl" in line)
    assert [cell.strip() for cell in row.split("│")[3:7]] == ["5", "3", "2", "loaded"]


def test_each_source_of_a_dagster_run_waits_for_the_warehouse(tmp_path: Path, fixtures_dir: Path, monkeypatch) -> None:
    """ingest_source (what the Dagster assets run) waits too: a reader that comes between two steps only delays."""
    from ingestion.run import IngestOptions, ingest_source

    warehouse = tmp_path / "w.duckdb"
    options = IngestOptions(inputs_dir=forms_inputs(tmp_path, fixtures_dir), warehouse=warehouse)
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_LOCK_WAIT", "30")
    holder = hold(warehouse, "write", 2)
    try:
        started = time.monotonic()
        summary, _ = ingest_source("forms", options)
        seconds = time.monotonic() - started
    finally:
        holder.wait()
    assert seconds > 1, seconds
    # the typeform fixture: 5 rows read, 3 loaded, 2 quarantined
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (5, 3, 2)


def test_build_and_refresh_wait_for_the_warehouse_too(tmp_path: Path, fixtures_dir: Path, monkeypatch) -> None:
    warehouse = tmp_path / "w.duckdb"
    inputs = forms_inputs(tmp_path, fixtures_dir)
    assert runner.invoke(app, ["ingest", "forms", "--inputs", str(inputs), "--warehouse", str(warehouse)]).exit_code == 0
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_LOCK_WAIT", "0")
    holder = hold(warehouse, "write", 60)
    try:
        outputs = [runner.invoke(app, [command, "--as-of", "2025-06-30"], env={"COLUMNS": "400"})
                   for command in ("build", "refresh")]
    finally:
        holder.kill()
        holder.wait()
    for result in outputs:
        assert result.exit_code == 4
        assert [normalised(line) for line in error_lines(result.output)] == [
            f"error: the warehouse {warehouse} is locked by another process (PID <pid>: <command>) (still locked "
            "after waiting 0 s, FUNNELHOUSE_WAREHOUSE_LOCK_WAIT): stop that process, and point dashboards and BI "
            f"tools at the serving copy {warehouse.parent / 'serving' / 'funnelhouse_serving.duckdb'} instead of "
            "the warehouse"]


# ---------------------------------------------------------------- arguments, and what to run first
@pytest.mark.parametrize("command", ["refresh", "build"])
def test_an_impossible_as_of_day_stops_before_the_run(command: str) -> None:
    started = time.monotonic()
    result = runner.invoke(app, [command, "--as-of", "2026-13-01"], env={"COLUMNS": "300"})
    assert time.monotonic() - started < 5
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "error: --as-of must be a date YYYY-MM-DD, e.g. 2026-09-30, got '2026-13-01' (month must be in 1..12)"]


def test_a_wrong_as_of_in_the_environment_is_named(monkeypatch) -> None:
    monkeypatch.setenv("FUNNELHOUSE_AS_OF", "30.09.2026")
    result = runner.invoke(app, ["refresh"], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "error: FUNNELHOUSE_AS_OF must be a date YYYY-MM-DD, e.g. 2026-09-30, got '30.09.2026'"]


def test_a_refresh_with_nothing_to_load_says_what_is_missing(isolated_data_dir: Path) -> None:
    started = time.monotonic()
    result = runner.invoke(app, ["refresh"], env={"COLUMNS": "300"})
    assert time.monotonic() - started < 15  # before any run: no Dagster run, no dbt build
    inputs = isolated_data_dir / "inputs"
    assert (result.exit_code, result.output.splitlines()) == (2, [
        f"error: nothing to refresh, and nothing loaded before: no input files in {inputs / 'forms'}; no input files "
        f"in {inputs / 'spreadsheets'}; no api_token configured (set api_token under [sources.hubspot] in "
        ".dlt/secrets.toml or FUNNELHOUSE_HUBSPOT_TOKEN); no login_url/client_id/client_secret configured (set "
        "login_url under [sources.salesforce] in .dlt/config.toml or FUNNELHOUSE_SALESFORCE_LOGIN_URL; client_id "
        "under [sources.salesforce] in .dlt/secrets.toml or FUNNELHOUSE_SALESFORCE_CLIENT_ID; client_secret under "
        "[sources.salesforce] in .dlt/secrets.toml or FUNNELHOUSE_SALESFORCE_CLIENT_SECRET); no api_token configured "
        "(set api_token under [sources.pipedrive] in .dlt/secrets.toml or FUNNELHOUSE_PIPEDRIVE_TOKEN); "
        f"{ZOHO_SKIPPED.removeprefix('zoho: skipped — ')}; put files in "
        "the drop folders (or run `funnelhouse generate` for demo data, or `funnelhouse demo`) first"])


def test_build_before_ingest_says_to_ingest_first(isolated_data_dir: Path) -> None:
    warehouse = isolated_data_dir / "funnelhouse.duckdb"
    first = "run `funnelhouse ingest` (or `funnelhouse refresh`, which also builds) first"
    result = runner.invoke(app, ["build"], env={"COLUMNS": "300"})
    assert (result.exit_code, result.output.splitlines()) == (
        2, [f"error: {warehouse}: no warehouse here, nothing loaded yet: {first}"])
    import duckdb

    warehouse.parent.mkdir(parents=True)
    duckdb.connect(str(warehouse)).close()  # an empty file, e.g. left by a tool that opened it
    result = runner.invoke(app, ["build"], env={"COLUMNS": "300"})
    assert (result.exit_code, result.output.splitlines()) == (
        2, [f"error: {warehouse}: no source loaded into this warehouse yet: {first}"])


def test_emulate_before_generate_says_to_generate_first(isolated_data_dir: Path) -> None:
    result = runner.invoke(app, ["emulate", "hubspot", "--port", "8765"], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"error: {isolated_data_dir / 'inputs' / 'crm'}: no CRM seed files (deals.jsonl, owners.jsonl, ...): run "
        "`funnelhouse generate` first, or pass --data with a folder that has them"]


def test_report_out_a_folder_writes_into_it(fixture_build, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "reports"
    result = runner.invoke(app, ["report", "--warehouse", str(fixture_build.warehouse), "--out", f"{folder}/"],
                           env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"Report written to {folder / 'funnel_report.html'}"]
    assert (folder / "funnel_report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
