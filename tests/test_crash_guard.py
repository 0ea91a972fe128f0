"""Stuck state, fast: a killed run's concurrency slot is freed and the run marked failed, a reused pid is not taken
for the killed process, a live refresh is refused naming it, a wait for a slot is bounded, SIGTERM / SIGINT cancel."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration.run_guard import (
    HOST_TAG, LOG_TAG, PID_TAG, PROCESS_STARTED_TAG, RefreshRunning, RunProcess, process_started, recover,
    refresh_lock,
)
from orchestration.run_watch import RunWatch

POOL = "warehouse"

HOLDER = """
import subprocess, sys, time
import dagster as dg
from orchestration.run_guard import RunProcess, marked_processes

@dg.op(pool="warehouse")
def hold(context) -> None:
    if sys.argv[2:] == ["with-child"]:  # a process the run started (dbt, say), marked as run_refresh marks them
        with marked_processes(context.run_id):
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print(child.pid, flush=True)
    else:
        print("holding the slot", flush=True)
    time.sleep(600)

@dg.job
def holder() -> None:
    hold()

instance = dg.DagsterInstance.from_config(sys.argv[1])
holder.execute_in_process(instance=instance, tags=RunProcess.current().tags())
"""


def instance_at(home: Path) -> dg.DagsterInstance:
    """A persistent instance with the project's pool rule: one slot per pool."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(
        f"storage:\n  sqlite:\n    base_dir: {home / 'storage'}\n"
        "concurrency:\n  pools:\n    default_limit: 1\ntelemetry:\n  enabled: false\n", encoding="utf-8")
    return dg.DagsterInstance.from_config(str(home))


@dg.op(pool=POOL)
def quick() -> int:
    return 1


@dg.op(pool=POOL)
def slow() -> None:
    for _ in range(200):
        time.sleep(0.05)


@dg.job
def quick_job() -> None:
    quick()


@dg.job
def slow_job() -> None:
    slow()


def claimed(instance: dg.DagsterInstance) -> list[str]:
    return [slot.run_id for slot in instance.event_log_storage.get_concurrency_info(POOL).claimed_slots]


def test_a_killed_runs_slot_is_freed_and_its_run_marked_failed(tmp_path: Path) -> None:
    home = tmp_path / "dagster"
    instance = instance_at(home)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(home)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    try:
        assert holder.stdout.readline().strip() == "holding the slot"
    finally:
        holder.kill()  # kill -9
        holder.wait(timeout=30)
    (record,) = instance.get_run_records()
    run_id = record.dagster_run.run_id
    assert record.dagster_run.status == dg.DagsterRunStatus.STARTED and claimed(instance) == [run_id]

    notes = recover(instance)

    assert len(notes) == 1 and notes[0].startswith(f"run {run_id} of pid {holder.pid} (started ")
    assert notes[0].endswith("had died: marked failed, its concurrency slots freed")
    run = instance.get_run_by_id(run_id)
    assert run.status == dg.DagsterRunStatus.FAILURE
    failure = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1]
    assert failure.dagster_event.message == (
        f"marked failed by the next refresh: its process (pid {holder.pid}) is gone, killed before the run ended; "
        "its concurrency slots were freed")
    assert claimed(instance) == [] and instance.event_log_storage.get_concurrency_run_ids() == set()
    started = time.monotonic()  # the next run gets the slot at once
    assert quick_job.execute_in_process(instance=instance).success
    assert time.monotonic() - started < 30


def test_the_processes_a_killed_run_left_are_stopped(tmp_path: Path) -> None:
    home = tmp_path / "dagster"
    instance = instance_at(home)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(home), "with-child"], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    try:
        child = int(holder.stdout.readline())
    finally:
        holder.kill()  # kill -9: its child (a dbt build, say) goes on, holding what it held
        holder.wait(timeout=30)
    assert process_started(child) is not None
    (record,) = instance.get_run_records()

    started = time.monotonic()
    notes = recover(instance)

    assert notes == [f"run {record.dagster_run.run_id} of pid {holder.pid} (started "
                     f"{notes[0].split('(started ')[1].split(')')[0]}) had died: marked failed, its concurrency "
                     f"slots freed, the processes it left ({child}) stopped"]
    assert process_started(child) is None and time.monotonic() - started < 10  # it obeyed SIGTERM at once

def test_a_reused_pid_is_not_taken_for_the_killed_process(tmp_path: Path) -> None:
    instance = instance_at(tmp_path / "dagster")
    me = RunProcess.current()
    # this very process's pid, but recorded with another start time: the pid was given to a new process
    reused = {**me.tags(), PROCESS_STARTED_TAG: f"{me.started - 3600:.2f}"}
    run = instance.create_run_for_job(quick_job, tags=reused)
    instance.report_run_canceling(run)  # unfinished (CANCELING), like a run whose process died while stopping
    assert [note.split(" had died")[0].split(" (started")[0] for note in recover(instance)] == [
        f"run {run.run_id} of pid {me.pid}"]
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE


def test_a_live_refresh_is_refused_naming_it(tmp_path: Path) -> None:
    instance = instance_at(tmp_path / "dagster")
    me = RunProcess.current()
    run = instance.create_run_for_job(quick_job, tags={**me.tags(), LOG_TAG: "/logs/refresh-1.log"})
    instance.handle_run_event(run.run_id, dg.DagsterEvent(event_type_value="PIPELINE_START", job_name="quick_job"))
    record = instance.get_run_records(dg.RunsFilter(run_ids=[run.run_id]))[0]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(record.start_time))
    with pytest.raises(RefreshRunning) as refused:
        recover(instance)
    assert str(refused.value) == (
        f"a refresh is already running: run {run.run_id} (pid {me.pid}, started {stamp}), log /logs/refresh-1.log; "
        f"wait for it to finish, or stop it with `kill {me.pid}`")
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED  # left alone


def test_a_second_refresh_is_refused_at_once_by_the_lock(tmp_path: Path) -> None:
    instance = instance_at(tmp_path / "dagster")
    with refresh_lock(instance, "run-first", tmp_path / "first.log"):
        started = time.monotonic()
        with pytest.raises(RefreshRunning) as refused:
            with refresh_lock(instance, "run-second", tmp_path / "second.log"):
                pass
        assert time.monotonic() - started < 1
    message = str(refused.value)
    assert message.startswith(f"a refresh is already running: run run-first (pid {os.getpid()}, started ")
    assert message.endswith(f"), log {tmp_path / 'first.log'}; wait for it to finish, or stop it with "
                            f"`kill {os.getpid()}`")
    with refresh_lock(instance, "run-third", None):  # released when the first ended
        pass


def test_process_start_time_tells_processes_apart() -> None:
    assert process_started(os.getpid()) == pytest.approx(RunProcess.current().started, abs=0.01)
    assert process_started(2**22 + 12345) is None  # above the kernel's pid limit: no such process
    assert set(RunProcess.current().tags()) == {PID_TAG, HOST_TAG, PROCESS_STARTED_TAG}


def test_a_wait_for_a_slot_is_bounded(tmp_path: Path) -> None:
    instance = instance_at(tmp_path / "dagster")
    other = instance.create_run_for_job(slow_job, tags={PID_TAG: "1", HOST_TAG: "elsewhere"})
    instance.handle_run_event(other.run_id, dg.DagsterEvent(event_type_value="PIPELINE_START", job_name="slow_job"))
    instance.event_log_storage.initialize_concurrency_limit_to_default(POOL)
    assert instance.event_log_storage.claim_concurrency_slot(POOL, other.run_id, "slow").is_claimed
    run_id = "0f0f0f0f-0000-4000-8000-000000000001"
    started = time.monotonic()
    with RunWatch(instance, run_id, slot_wait=2) as watch:
        result = quick_job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    assert not result.success and 2 < time.monotonic() - started < 30
    assert watch.slot_error.startswith(
        f"waited 2 s for a slot of the Dagster pool 'warehouse', held by run {other.run_id} (pid 1 on elsewhere, "
        "started ")
    assert watch.slot_error.endswith(
        "), log see the Dagster UI [slow_job, STARTED]: let it finish or cancel it in the Dagster UI, then run the "
        "refresh again (env FUNNELHOUSE_SLOT_WAIT_SECONDS sets the wait)")
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert claimed(instance) == [other.run_id]  # the other run's slot is not ours to free


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_cancels_the_run_and_frees_its_slot(tmp_path: Path, number: int) -> None:
    instance = instance_at(tmp_path / "dagster")
    run_id = "0f0f0f0f-0000-4000-8000-000000000002"
    timer = threading.Timer(1.5, os.kill, (os.getpid(), number))
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    started = time.monotonic()
    with RunWatch(instance, run_id) as watch:
        timer.start()
        result = slow_job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    assert time.monotonic() - started < 8  # the op would run 10 s
    assert watch.signum == number and not result.success
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.CANCELED
    canceling = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_CANCELING)
    assert [entry.dagster_event.message for entry in canceling] == [
        f"{signal.Signals(number).name} received: stopping the refresh"]
    assert claimed(instance) == []
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before  # the handlers given back


def test_a_signal_while_waiting_for_a_slot_cancels_at_once(tmp_path: Path) -> None:
    instance = instance_at(tmp_path / "dagster")
    other = instance.create_run_for_job(slow_job, tags={PID_TAG: "1", HOST_TAG: "elsewhere"})
    instance.event_log_storage.initialize_concurrency_limit_to_default(POOL)
    assert instance.event_log_storage.claim_concurrency_slot(POOL, other.run_id, "slow").is_claimed
    run_id = "0f0f0f0f-0000-4000-8000-000000000003"
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM))
    started = time.monotonic()
    with RunWatch(instance, run_id, slot_wait=120) as watch:
        timer.start()  # Dagster alone would poll for the slot, deaf to the signal, for ever
        result = quick_job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    assert time.monotonic() - started < 20 and not result.success and watch.slot_error == ""
    assert watch.signum == signal.SIGTERM
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.CANCELED
    pending = instance.event_log_storage.get_concurrency_info(POOL).pending_steps
    assert [step.step_key for step in pending if step.run_id == run_id] == []  # its claim withdrawn


def test_the_cli_refuses_a_second_refresh_at_once_even_while_the_first_holds_the_warehouse(
        isolated_data_dir: Path) -> None:
    """The first refresh holds the refresh lock and the warehouse (a writer in another process, as its dbt step
    would): `funnelhouse refresh` names the running one at once instead of waiting 60 s for the warehouse."""
    from orchestration.instance import project_instance

    warehouse = isolated_data_dir / "funnelhouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               f"connection = duckdb.connect({str(warehouse)!r}); print('held', flush=True)\n"
                               "time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with project_instance() as instance, refresh_lock(instance, "run-first", None):
            started = time.monotonic()
            result = subprocess.run([str(Path(sys.executable).parent / "funnelhouse"), "refresh"],
                                    env={**os.environ, "COLUMNS": "400", "FUNNELHOUSE_WAREHOUSE_LOCK_WAIT": "60"},
                                    capture_output=True, text=True, timeout=120)
            elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: a refresh is already running: run run-first (pid {os.getpid()}, started ")
    assert result.stderr.endswith(f"), log unknown; wait for it to finish, or stop it with `kill {os.getpid()}`\n")
    assert "locked" not in result.stderr + result.stdout
    assert elapsed < 20
