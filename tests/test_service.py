"""The UI and the service (`funnelhouse ui`, `funnelhouse serve`): the drop-folder sensor starts from the files already
loaded, a busy port fails fast, nothing starts on its own and no process stays behind, a short cron fires a run that
succeeds, and a run whose worker was killed with kill -9 is marked failed by run monitoring."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from support.inputs import copy_fixture_inputs

FUNNELHOUSE = str(Path(sys.executable).parent / "funnelhouse")
AS_OF = "2025-06-30"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every living process below `pid` (by parent pid in /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def wait_until(predicate, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what}: not within {timeout:.0f} s\n{tail}")


def loaded_data_dir(data: Path) -> Path:
    """`data` as after a load: the form and spreadsheet fixtures in data/inputs, loaded by the real ingestion into
    data/funnelhouse.duckdb (the fingerprints of its dlt pipelines under data/dlt_pipelines)."""
    from ingestion.run import IngestOptions, ingest_source

    inputs = copy_fixture_inputs(data)
    shutil.rmtree(inputs / "crm")
    options = IngestOptions(inputs_dir=inputs, warehouse=data / "funnelhouse.duckdb")
    ingest_source("forms", options)
    ingest_source("spreadsheets", options)
    return inputs


def test_the_sensor_starts_from_the_files_ingestion_loaded(isolated_data_dir: Path) -> None:
    from orchestration.definitions import build_definitions
    from orchestration.sensors import loaded_fingerprints

    inputs = loaded_data_dir(isolated_data_dir)
    assert (inputs / "forms" / "vendor" / "README.md").exists()  # example payloads no glob of forms.yaml reads
    # forms: typeform, jinshuju, export/website_leads, export/empty; spreadsheets: 华南 tracker, the English export
    # and its stage history, marketing spend = 8 files loaded
    assert sorted(loaded_fingerprints()) == [
        "forms/export/empty.jsonl", "forms/export/website_leads.jsonl", "forms/jinshuju/entries_2025-01.jsonl",
        "forms/typeform/form_responses_2025-01.jsonl", "spreadsheets/marketing_spend.csv",
        "spreadsheets/pipeline_export_en.csv", "spreadsheets/pipeline_export_en_stage_history.csv",
        "spreadsheets/销售跟进表_华南.csv"]
    sensor = build_definitions().resolve_sensor_def("new_drop_files")

    def tick(cursor: str | None):
        context = dg.build_sensor_context(cursor=cursor)
        return sensor.evaluate_tick(context), context.cursor

    result, cursor = tick(None)  # the first tick after the load: every file is already loaded
    assert result.run_requests == [] and result.skip_message == "no new or changed file in the drop folders"
    assert len(yaml.safe_load(cursor)) == 8

    new = inputs / "forms" / "export" / "leads_2026-10.jsonl"
    new.write_text('{"submission_id": "WS-1"}\n', encoding="utf-8")
    (inputs / "spreadsheets" / "marketing_spend.csv").touch()  # same bytes, new mtime: not new
    result, cursor = tick(cursor)
    assert [r.tags["funnelhouse/new_files"] for r in result.run_requests] == ["forms/export/leads_2026-10.jsonl"]

    # a file loaded from the CLI while the sensor did not look (changed, then loaded) does not start a refresh
    result, _ = tick(None)
    assert [r.tags["funnelhouse/new_files"] for r in result.run_requests] == ["forms/export/leads_2026-10.jsonl"]
    from ingestion.run import IngestOptions, ingest_source

    ingest_source("forms", IngestOptions(inputs_dir=inputs, warehouse=isolated_data_dir / "funnelhouse.duckdb"))
    result, _ = tick(None)
    assert result.run_requests == []


@pytest.mark.parametrize("command", [["ui"], ["serve"]])
def test_a_busy_port_fails_at_once_with_one_line_and_starts_nothing(command: list[str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = time.monotonic()
        process = subprocess.Popen([FUNNELHOUSE, *command, "--port", str(port)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        seen = set()
        while process.poll() is None:
            seen |= {command_line(pid) for pid in descendants(process.pid)}
            time.sleep(0.05)
        out, err = process.communicate()
        seconds = time.monotonic() - started
    assert process.returncode == 2, (out, err)
    assert err.splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use: stop what listens there (another funnelhouse ui or "
        f"serve?) or pass --port with a free port"]
    # no Dagster process (webserver, daemon, code server) was started; short-lived system helpers may be (Python's
    # platform module runs `file -b` on the interpreter), and under load the poll catches them
    started_dagster = {line for line in seen if "dagster" in line}
    assert out == "" and started_dagster == set() and seconds < 20, (out, started_dagster, seconds)



@pytest.mark.parametrize("command", [["ui"], ["serve"]])
def test_a_second_daemon_on_the_instance_is_refused_naming_the_first(command: list[str],
                                                                      isolated_data_dir: Path) -> None:
    from orchestration.holder_lock import holding
    from orchestration.instance import instance_home
    from orchestration.service import SERVICE_LOCK, _service_running

    home = instance_home()
    first = {"command": "serve", "pid": 4242, "started": 1780000000.0, "url": "http://0.0.0.0:3000"}
    port = free_port()
    with holding(home / SERVICE_LOCK, first, _service_running):  # as a running `funnelhouse serve` holds it
        started = time.monotonic()
        done = subprocess.run([FUNNELHOUSE, *command, "--port", str(port)], capture_output=True, text=True,
                              timeout=60, check=False)
        seconds = time.monotonic() - started
        record = (home / SERVICE_LOCK).read_text(encoding="utf-8")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert json.loads(record) == first  # the refused one left the holder's record alone
    # 1780000000 s after the epoch = 2026-05-28 20:26:40 UTC
    assert done.stderr.splitlines() == [
        "error: `funnelhouse serve` already runs on this instance (pid 4242, started 2026-05-28 20:26:40 UTC, "
        "http://0.0.0.0:3000): open that one, or stop it (`kill 4242`) first; two daemons on one instance would "
        "start every scheduled and sensor run twice"]
    assert done.stdout == "" and seconds < 20
    with socket.socket() as probe:  # nothing listens on the port it was given
        probe.bind(("127.0.0.1", port))

def test_the_ui_after_a_load_runs_nothing_warns_nothing_and_leaves_no_process(isolated_data_dir: Path) -> None:
    from orchestration.instance import project_instance

    loaded_data_dir(isolated_data_dir)
    port = free_port()
    log = isolated_data_dir / "ui.log"
    with log.open("w") as output:
        process = subprocess.Popen([FUNNELHOUSE, "ui", "--port", str(port)], stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_until(lambda: "Sensor new_drop_files skipped: no new or changed file in the drop folders"
                   in log.read_text(errors="replace"), 120, "the sensor's first tick", log)
        wait_until(lambda: "Serving dagster-webserver" in log.read_text(errors="replace"), 60, "the webserver", log)
        children = descendants(process.pid)
        assert len(children) >= 3  # dagster dev, its webserver and daemon (and their code servers)
    finally:
        process.send_signal(signal.SIGTERM)  # the process only, as a service manager or `kill` does
        code = process.wait(timeout=90)
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert alive(children) == set(), text[-3000:]
    # what `dagster dev` in the project root printed: the dagster.yaml there "will not be used", and "use dg dev"
    assert "dagster.yaml" not in text and "SupersessionWarning" not in text and "superseded" not in text, text
    with project_instance() as instance:
        assert instance.get_runs() == []  # no sensor, schedule or asset daemon started anything


def service_home() -> Path:
    """data/dagster as `funnelhouse ui` writes it, with run monitoring polling every 2 s (the test's only change)."""
    from orchestration.instance import instance_home

    home = instance_home()
    config = yaml.safe_load((home / "dagster.yaml").read_text(encoding="utf-8"))
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_launcher"]["class"] == "FunnelhouseRunLauncher"
    config["run_monitoring"].update(poll_interval_seconds=2, free_slots_after_run_end_seconds=2)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return home


def start_service(home: Path, port: int, log: Path, **env: str) -> subprocess.Popen:
    with log.open("a") as output:
        return subprocess.Popen(
            [FUNNELHOUSE, "serve", "--port", str(port), "--dagster-home", str(home)], stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **env})


def submit(client, job: str) -> str | None:
    """The run id of `job` launched through the webserver, or None while its code location is still loading."""
    from dagster_graphql import DagsterGraphQLClientError

    try:
        return client.submit_job_execution(job, repository_location_name="funnelhouse")
    except DagsterGraphQLClientError:
        return None


def kill_9(pids: set[int]) -> None:
    """Stop every process first (no one reacts to the others dying), then kill -9 them all."""
    for signal_number in (signal.SIGSTOP, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, signal_number)
            except ProcessLookupError:
                pass


def test_the_service_runs_a_short_cron_and_its_monitor_fails_a_killed_run(fixture_build, isolated_data_dir: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster_graphql import DagsterGraphQLClient

    isolated_data_dir.mkdir(parents=True)
    shutil.copy(fixture_build.warehouse, isolated_data_dir / "funnelhouse.duckdb")
    (isolated_data_dir / "inputs").mkdir()  # no drop files: the sensor has nothing to start
    env = {"FUNNELHOUSE_AS_OF": AS_OF, "FUNNELHOUSE_DATA_DIR": str(isolated_data_dir)}
    for name in [n for n in os.environ if n.startswith("FUNNELHOUSE_ALERT_") or n.endswith("_CRON")]:
        monkeypatch.delenv(name)
    home = service_home()
    port = free_port()
    log = isolated_data_dir / "serve.log"
    instance = dg.DagsterInstance.from_config(str(home))

    # 1. the service runs a refresh; the whole service is killed with kill -9 while the run worker works
    service = start_service(home, port, log, **env)
    try:
        wait_until(lambda: "Serving dagster-webserver" in log.read_text(errors="replace"), 120, "the webserver", log)
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        run_id = wait_until(lambda: submit(client, "refresh"), 120, "the refresh submitted", log)
        wait_until(lambda: instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED, 120,
                   "the refresh started", log)
        worker = instance.run_launcher.worker_process(run_id)
        kill_9(descendants(service.pid) | {service.pid})
        service.wait(timeout=30)
    finally:
        if service.poll() is None:
            kill_9(descendants(service.pid) | {service.pid})
    wait_until(lambda: not alive({worker[0]}), 30, "the run worker gone")
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED  # nobody left to tell

    # 2. started again with the digest due every minute: the monitor fails the dead run, which frees the queue
    # (one run at a time), then the cron's run succeeds
    service = start_service(home, port, log, FUNNELHOUSE_DIGEST_CRON="* * * * *", **env)
    try:
        wait_until(lambda: instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE, 90,
                   "the killed run marked failed", log)
        failure = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1].dagster_event.message
        assert (f"Detected run worker status FAILED: 'run worker process {worker[0]} is gone (killed, out of memory, "
                f"or the machine restarted)'. Marking run {run_id} as failed.") in failure

        def digest_runs_finished():
            runs = instance.get_runs(dg.RunsFilter(tags={"dagster/schedule_name": "daily_stale_deals_digest"}))
            return [run for run in runs if run.is_finished]

        finished = wait_until(digest_runs_finished, 150, "a run of the digest schedule", log)
        # the cron fires every minute: one or two ticks have run by now, each green
        assert {run.status for run in finished} == {dg.DagsterRunStatus.SUCCESS}
        digest = yaml.safe_load((isolated_data_dir / "quality" / "digests" / f"stale_deals_{AS_OF}.json").read_text())
        assert digest["facts"]["stale_deals"] == 8  # the fixtures' stale deals as of 2025-06-30 (test_orchestration)
        children = descendants(service.pid)
    finally:
        service.send_signal(signal.SIGTERM)
        code = service.wait(timeout=90)
    assert code == 0
    assert alive(children) == set()
    # nothing else started on its own: no refresh by the sensor (no drop files) or the nightly schedule (02:00)
    assert {run.job_name for run in instance.get_runs() if run.run_id != run_id} == {"stale_deals_digest"}


SLOW_JOB = """
import time, dagster as dg
from orchestration.instance import project_instance

@dg.op(pool="warehouse")
def hold_the_warehouse():
    time.sleep(600)

@dg.job
def refresh():
    hold_the_warehouse()

with project_instance() as instance:
    refresh.execute_in_process(instance=instance)
"""


def test_the_monitor_fails_a_command_line_run_killed_with_kill_9(isolated_data_dir: Path) -> None:
    """A run in-process (as `funnelhouse refresh` runs) killed while it holds the warehouse slot: the service's run
    monitoring marks it failed (one monitoring pass, as the daemon does every poll)."""
    import logging

    from dagster._daemon.monitoring.run_monitoring import monitor_started_run

    from orchestration.instance import project_instance

    process = subprocess.Popen([sys.executable, "-c", SLOW_JOB], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with project_instance() as instance:
        try:
            run = wait_until(lambda: [r for r in instance.get_runs() if r.status == dg.DagsterRunStatus.STARTED
                                      and instance.run_launcher.worker_process(r.run_id)], 90, "the run started")[0]
            assert instance.run_launcher.check_run_worker_health(run).status.value == "RUNNING"
        finally:
            process.kill()
            process.wait()
        record = instance.get_run_records(dg.RunsFilter(run_ids=[run.run_id]))[0]
        assert record.dagster_run.status == dg.DagsterRunStatus.STARTED  # the killed process told nobody
        monitor_started_run(instance, None, record, logging.getLogger("test"))
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        failure = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1].dagster_event.message
        assert failure.startswith(f"Detected run worker status FAILED: 'run worker process {process.pid} is gone "
                                  f"(killed, out of memory, or the machine restarted)'. Marking run {run.run_id} "
                                  f"as failed.")
