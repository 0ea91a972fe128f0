"""One refresh at a time on a Dagster instance: each run is tagged with its process; runs whose process is gone are
marked failed and their concurrency slots freed; a live refresh is named at once, never waited for."""
from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from ingestion.common.errors import FunnelhouseError
from orchestration.holder_lock import holding, refuse_if_held

PID_TAG = "funnelhouse/pid"
HOST_TAG = "funnelhouse/host"
PROCESS_STARTED_TAG = "funnelhouse/process_started"  # so that a pid the system gave to a new process is not mistaken
LOG_TAG = "funnelhouse/log_file"
UNFINISHED = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.QUEUED,
              dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.CANCELING]
REFRESH_JOB = "refresh"
LOCK_NAME = "refresh.lock"
RUN_ENV = "FUNNELHOUSE_RUN_ID"  # set in a refresh's process: every process it starts (dbt) inherits it
ORPHAN_GRACE_SECONDS = 10.0  # SIGTERM, then SIGKILL after this long
START_TOLERANCE = 2.0  # seconds between two readings of one process's start time (boot time is whole seconds)


class RefreshRunning(FunnelhouseError):
    """Another refresh runs on the same Dagster instance."""


def process_started(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), read from /proc; None when no such process runs (or only
    its zombie)."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text(encoding="utf-8").splitlines()
                    if line.startswith("btime "))
        if after_name[0] in ("Z", "X"):  # a zombie or dead process: gone, only its entry is left
            return None
        return boot + int(after_name[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat: start time in clock ticks
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stamp(seconds: float | None) -> str:
    return "unknown" if seconds is None else datetime.fromtimestamp(seconds, timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class RunProcess:
    """The process a run executes in: pid, host and the process's start time (None when unknown)."""

    pid: int
    host: str
    started: float | None = None

    @classmethod
    def current(cls) -> RunProcess:
        return cls(os.getpid(), socket.gethostname(), process_started(os.getpid()))

    def tags(self) -> dict[str, str]:
        return {PID_TAG: str(self.pid), HOST_TAG: self.host,
                PROCESS_STARTED_TAG: "" if self.started is None else f"{self.started:.2f}"}

    def alive(self, run_started: float | None) -> bool:
        """Whether the process still runs: the same pid with the same start time (or, when the start time was not
        recorded, a process that started before the run did). A process on another host is taken as alive."""
        if self.host != socket.gethostname():
            return True
        if not Path("/proc/self/stat").exists():
            return _exists(self.pid)
        now = process_started(self.pid)
        if now is None:
            return False
        if self.started is not None:
            return abs(now - self.started) <= START_TOLERANCE
        return run_started is None or now <= run_started + START_TOLERANCE


@contextmanager
def marked_processes(run_id: str) -> Iterator[None]:
    """While the block runs, the processes this one starts carry RUN_ENV=run_id in their environment, so that the
    next refresh finds and stops them if this process dies first (a dbt build left holding the warehouse)."""
    previous = os.environ.get(RUN_ENV)
    os.environ[RUN_ENV] = run_id
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(RUN_ENV, None)
        else:
            os.environ[RUN_ENV] = previous


def leftover_processes(run_id: str) -> list[int]:
    """Pids of the living processes started by run `run_id` (RUN_ENV in their environment), this one excepted."""
    marker = f"{RUN_ENV}={run_id}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid() or process_started(pid) is None:
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or another user's
            continue
        if marker in environment:
            found.append(pid)
    return sorted(found)


def stop_leftovers(run_id: str, grace: float = ORPHAN_GRACE_SECONDS) -> list[int]:
    """SIGTERM the leftover processes of run `run_id`, SIGKILL those still there after `grace` s; their pids."""
    pids = leftover_processes(run_id)
    for number in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, number)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + (grace if number == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline and any(process_started(pid) is not None for pid in pids):
            time.sleep(0.05)
    return pids


def run_process(instance: dg.DagsterInstance, run: dg.DagsterRun) -> RunProcess | None:
    """The process of `run`: from funnelhouse's tags, else from the pid Dagster's executor logged; None if unknown."""
    tags = run.tags
    if tags.get(PID_TAG, "").isdigit():
        started = tags.get(PROCESS_STARTED_TAG) or None
        return RunProcess(int(tags[PID_TAG]), tags.get(HOST_TAG, ""), float(started) if started else None)
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None and str(pid.value).isdigit():
            return RunProcess(int(pid.value), socket.gethostname())
    return None


def describe(run: dg.DagsterRun, process: RunProcess | None, started: float | None) -> str:
    """`run <id> (pid <pid>, started <time>), log <file>`: how an operator finds a run."""
    where = f"pid {process.pid}" + ("" if process.host == socket.gethostname() else f" on {process.host}") \
        if process else "pid unknown"
    log = run.tags.get(LOG_TAG) or "see the Dagster UI"
    return f"run {run.run_id} ({where}, started {_stamp(started)}), log {log}"


def slot_holders(storage) -> set[str]:
    """Run ids holding or waiting for a concurrency slot of any pool."""
    holders = set(storage.get_concurrency_run_ids())
    for key in storage.get_concurrency_keys():
        holders.update(slot.run_id for slot in storage.get_concurrency_info(key).claimed_slots)
    return holders


def recover(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every unfinished run whose process is gone and free its concurrency slots, and the slots finished
    or deleted runs still hold; raise RefreshRunning naming a live refresh. Returns one line per run recovered."""
    notes = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=UNFINISHED)):
        run = record.dagster_run
        process = run_process(instance, run)
        if process is None:
            continue  # e.g. queued by the daemon, not launched yet: the daemon's run monitoring looks after it
        started = record.start_time or record.create_timestamp.timestamp()
        if process.alive(started):
            if PID_TAG in run.tags or run.job_name == REFRESH_JOB:
                raise RefreshRunning(f"a refresh is already running: {describe(run, process, started)}; wait for "
                                     f"it to finish, or stop it with `kill {process.pid}`")
            continue
        leftovers = stop_leftovers(run.run_id) if process.host == socket.gethostname() else []
        instance.report_run_failed(run, f"marked failed by the next refresh: its process (pid {process.pid}) is "
                                        "gone, killed before the run ended; its concurrency slots were freed")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        stopped = f", the processes it left ({', '.join(map(str, leftovers))}) stopped" if leftovers else ""
        notes.append(f"run {run.run_id} of pid {process.pid} (started {_stamp(started)}) had died: marked failed, "
                     f"its concurrency slots freed{stopped}")
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in slot_holders(storage):
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
    return notes


def _refresh_running(holder: dict) -> RefreshRunning:
    return RefreshRunning(
        f"a refresh is already running: run {holder.get('run_id', 'unknown')} (pid {holder.get('pid', '?')}, "
        f"started {_stamp(holder.get('started'))}), log {holder.get('log_file') or 'unknown'}; wait for it "
        f"to finish, or stop it with `kill {holder.get('pid', '<pid>')}`")


def refuse_if_refresh_running(root: Path) -> None:
    """Raise RefreshRunning at once when a refresh holds the lock in the instance's root directory `root` (checked
    before a new refresh waits for anything, e.g. for the warehouse that the running one holds)."""
    refuse_if_held(Path(root) / LOCK_NAME, _refresh_running)


@contextmanager
def refresh_lock(instance: dg.DagsterInstance, run_id: str, log_file: Path | None) -> Iterator[None]:
    """Hold <instance home>/refresh.lock while a refresh runs (the system lets it go when the process dies, kill -9
    included); a second refresh raises RefreshRunning naming the first, from what the first wrote into the lock."""
    holder = {"run_id": run_id, "pid": os.getpid(), "started": datetime.now(timezone.utc).timestamp(),
              "log_file": str(log_file) if log_file else None}
    with holding(Path(instance.root_directory) / LOCK_NAME, holder, _refresh_running):
        yield
