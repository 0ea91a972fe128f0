"""Dagster's default run launcher with a health check, so that run monitoring marks a run whose worker process died
(kill -9, out of memory, the machine or the service restarted) as failed and its concurrency slots are freed."""
from __future__ import annotations

import socket

from dagster._core.events import DagsterEventType
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster._core.launcher.default_run_launcher import DefaultRunLauncher

from orchestration.run_guard import RunProcess

# engine events naming the process that runs the steps: a launched run worker's first event, and the in-process
# executor's (also a refresh run in-process from the command line, e.g. `funnelhouse refresh`)
PID_EVENT_PREFIXES = ("Started process for run (pid: ", "Executing steps in process (pid: ")


def process_alive(pid: int, started_by: float) -> bool:
    """True when process `pid` of this machine runs and was started no later than `started_by` (epoch seconds): a
    pid reused by a newer process, or a zombie, does not count."""
    return RunProcess(pid, socket.gethostname()).alive(started_by)


class FunnelhouseRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher (runs in a subprocess of the code server) that can tell whether a run's worker process is
    still alive: the pid and time of its first engine event, checked against the processes of this machine."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        worker = self.worker_process(run.run_id)
        if worker is None:  # no process recorded yet: nothing to tell
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no run worker process recorded")
        pid, timestamp = worker
        if process_alive(pid, timestamp):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {pid} is alive")
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"run worker process {pid} is gone (killed, out of memory, or the machine restarted)"
        )

    def worker_process(self, run_id: str) -> tuple[int, float] | None:
        """(pid, epoch seconds) of the run's last engine event naming the process that runs it, or None."""
        found = None
        for record in self._instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
            message = (record.dagster_event.message if record.dagster_event else "") or record.user_message or ""
            prefix = next((p for p in PID_EVENT_PREFIXES if message.startswith(p)), None)
            if prefix is not None:
                try:
                    found = (int(message[len(prefix):].split(")", 1)[0]), record.timestamp)
                except ValueError:
                    continue
        return found
