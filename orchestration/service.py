"""Start the Dagster UI (`funnelhouse ui`) or the long-running service (`funnelhouse serve`: daemon + webserver) on
the project's instance, and stop every process they started when they end."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import yaml

from funnelhouse import settings
from ingestion.common.errors import FunnelhouseError
from orchestration.holder_lock import holding, refuse_if_held

CODE_LOCATION = "funnelhouse"  # the name [tool.dagster] of pyproject.toml gives the code location
DEFINITIONS_MODULE = "orchestration.definitions"
STOP_GRACE_SECONDS = 60  # after Ctrl+C / SIGTERM, how long the children get to stop before they are killed
# `dagster dev` warns that it is superseded by `dg dev`; funnelhouse runs it on purpose (see README).
QUIET_WARNINGS = "ignore:Function `dev_command` is superseded"
SERVICE_LOCK = "service.lock"  # in the instance folder: one daemon (ui or serve) per instance


class ServiceRunning(FunnelhouseError):
    """A `funnelhouse ui` or `funnelhouse serve` already runs the daemon of the same Dagster instance."""


def _service_running(holder: dict) -> ServiceRunning:
    pid = holder.get("pid", "<pid>")
    started = holder.get("started")
    since = datetime.fromtimestamp(started, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if started else "unknown"
    return ServiceRunning(
        f"`funnelhouse {holder.get('command', 'ui or serve')}` already runs on this instance (pid {pid}, started "
        f"{since}, {holder.get('url', 'its webserver')}): open that one, or stop it (`kill {pid}`) first; two "
        f"daemons on one instance would start every scheduled and sensor run twice")


def refuse_if_service_running(home: Path) -> None:
    """Raise ServiceRunning at once when a `funnelhouse ui` or `serve` holds the instance folder `home`."""
    refuse_if_held(home / SERVICE_LOCK, _service_running)


def write_workspace(home: Path) -> Path:
    """<home>/workspace.yaml: the code location "funnelhouse" (orchestration.definitions, run from the project
    root), so that the UI, the daemon and the webserver can run with the instance folder as current directory."""
    target = home / "workspace.yaml"
    text = "# Written by funnelhouse ui / serve; the code location of the project.\n" + yaml.safe_dump({
        "load_from": [{"python_module": {
            "module_name": DEFINITIONS_MODULE,
            "working_directory": str(settings.PROJECT_ROOT),
            "location_name": CODE_LOCATION,
        }}],
    }, sort_keys=False)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


def check_port(host: str, port: int) -> None:
    """Raise a one-line FunnelhouseError when `port` on `host` cannot be listened on (before anything starts)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the webserver does: TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = "is already in use" if error.errno in (98, 48, 10048) else f"cannot be used ({error.strerror})"
            raise FunnelhouseError(
                f"port {port} on {host} {reason}: stop what listens there (another funnelhouse ui or serve?) "
                f"or pass --port with a free port"
            ) from None


def _executable(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def dagster_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS", ""), QUIET_WARNINGS]))
    return env


def ui_commands(home: Path, host: str, port: int) -> list[list[str]]:
    """`dagster dev` (webserver + daemon) on the project's workspace."""
    return [[_executable("dagster"), "dev", "-w", str(write_workspace(home)), "--host", host, "--port", str(port)]]


def service_commands(home: Path, host: str, port: int) -> list[list[str]]:
    """The production pair: `dagster-daemon run` (schedules, sensors, the run queue, run monitoring) and
    `dagster-webserver`, both on the project's workspace."""
    workspace = str(write_workspace(home))
    return [
        [_executable("dagster-daemon"), "run", "-w", workspace],
        [_executable("dagster-webserver"), "-w", workspace, "--host", host, "--port", str(port)],
    ]


def prepare_instance(home: Path) -> None:
    """Create (or migrate) the instance's storage once, before the daemon and the webserver start: two processes
    creating a new SQLite storage at the same time leave it with two schema heads, and the code location fails."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)):
        pass


def _stop(processes: Sequence[subprocess.Popen], grace: float) -> None:
    """Ctrl+C to every child (each ends its code server and runs cleanly), then kill whatever of their process
    groups is left after `grace` seconds: no daemon, webserver, code server or run worker stays behind."""
    for process in processes:
        if process.poll() is None:
            try:
                process.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()


def supervise(commands: Sequence[Sequence[str]], home: Path, name: str, url: str,
              grace: float = STOP_GRACE_SECONDS) -> int:
    """Run `commands` side by side, each in its own process group, with the instance folder `home` as current
    directory and DAGSTER_HOME, holding the instance's service lock (ServiceRunning naming `funnelhouse <name>` at
    `url` to whoever tries next). Returns when one of them ends (its exit code, 0 when stopped by Ctrl+C or SIGTERM)
    after stopping the others. SIGTERM and SIGINT stop them all (as a service manager does)."""
    holder = {"command": name, "pid": os.getpid(), "started": time.time(), "url": url}
    with holding(home / SERVICE_LOCK, holder, _service_running):
        return _supervise(commands, home, grace)


def _supervise(commands: Sequence[Sequence[str]], home: Path, grace: float) -> int:
    stopping: list[int] = []

    def _on_signal(number: int, _frame: object) -> None:
        stopping.append(number)

    prepare_instance(home)
    previous = {number: signal.signal(number, _on_signal) for number in (signal.SIGINT, signal.SIGTERM)}
    processes: list[subprocess.Popen] = []
    try:
        for command in commands:
            processes.append(subprocess.Popen(list(command), cwd=home, env=dagster_env(home), start_new_session=True))
        code = 0
        while not stopping:
            ended = [process for process in processes if process.poll() is not None]
            if ended:
                code = ended[0].returncode or 1
                break
            time.sleep(0.5)
        return code
    finally:
        _stop(processes, grace)
        for number, handler in previous.items():
            signal.signal(number, handler)
