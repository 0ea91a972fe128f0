"""Acceptance: `funnelhouse refresh` killed with kill -9 (its whole process group, dbt included) at 6 points (the
forms, HubSpot and spreadsheets loads, dbt, the checks, publishing), then stopped with SIGTERM, each time re-run: no
re-run hangs, each starts within 60 s, the SIGTERM one exits 143 with one line, and the last one leaves marts
equal to a clean build's (the session's fixture build), row by row.

The kills come from outside, when a marker appears: a dlt load package normalized and loading in the source's
pipeline folder, a line in the run's log, a step started in Dagster's event log. Runs are chained to keep the test
short: the re-run after one kill is the run killed at the next point; the last re-run runs to the end."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from emulators.hubspot.server import HubSpotEmulator
from funnelhouse.serving import serving_tables
from orchestration.run_guard import LOG_TAG, PID_TAG
from support.inputs import FIXTURE_AS_OF, TOKEN, copy_fixture_inputs
from support.marts import differences, schema_rows

START_WITHIN = 60.0  # seconds from launch to the re-run's start (Dagster's RUN_START, after the recovery)
HANG_AFTER = 240.0  # a run that has not started by then hangs
POINT_WITHIN = 300.0  # seconds for a run to reach its kill point (the machine may be busy)
FUNNELHOUSE = str(Path(sys.executable).parent / "funnelhouse")
PROJECT = Path(__file__).resolve().parents[1]


def environment(data: Path, hubspot_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("FUNNELHOUSE_WAREHOUSE", "FUNNELHOUSE_INPUTS", "FUNNELHOUSE_PIPELINES_DIR")}
    return {**env, "FUNNELHOUSE_DATA_DIR": str(data), "FUNNELHOUSE_AS_OF": FIXTURE_AS_OF, "PYTHONPATH": str(PROJECT),
            "FUNNELHOUSE_HUBSPOT_BASE_URL": hubspot_url, "FUNNELHOUSE_HUBSPOT_TOKEN": TOKEN}


class Refresh:
    """One `funnelhouse refresh` in its own process group, watched from outside through its data folder."""

    def __init__(self, data: Path, env: dict[str, str], name: str) -> None:
        self.data, self.name = data, name
        self.out = data.parent / f"{name}.out"
        self.launched = time.monotonic()
        with self.out.open("w") as out:
            self.process = subprocess.Popen([FUNNELHOUSE, "refresh"], env=env, cwd=data.parent, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self._instance: dg.DagsterInstance | None = None

    @property
    def instance(self) -> dg.DagsterInstance:
        if self._instance is None:
            self._instance = dg.DagsterInstance.from_config(str(self.data / "dagster"))
        return self._instance

    def run(self) -> dg.DagsterRun | None:
        if "Refresh through Dagster" not in self.out.read_text():  # the instance is set up: it may be opened
            return None
        records = self.instance.get_run_records(dg.RunsFilter(tags={PID_TAG: str(self.process.pid)}), limit=1)
        return records[0].dagster_run if records else None

    def steps_started(self) -> list[str]:
        run = self.run()
        return [] if run is None else [
            entry.step_key for entry in self.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)]

    def log(self) -> str:
        run = self.run()
        path = Path(run.tags[LOG_TAG]) if run is not None and LOG_TAG in run.tags else None
        return path.read_text(encoding="utf-8", errors="replace") if path and path.exists() else ""

    def wait_for(self, marker: Callable[[Refresh], bool], within: float) -> float:
        """Seconds since launch at which `marker` held; fails when the run ended first or took longer."""
        while time.monotonic() - self.launched < within:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} ended (code {self.process.returncode}) before its kill point: "
                            f"{self.out.read_text()[-2000:]}")
            if marker(self):
                return time.monotonic() - self.launched
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"{self.name} did not reach its point within {within:.0f} s: {self.out.read_text()[-2000:]}")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()
        if self._instance is not None:
            self._instance.dispose()


def started(refresh: Refresh) -> bool:
    run = refresh.run()
    return run is not None and run.status != dg.DagsterRunStatus.NOT_STARTED


def loading(source: str) -> Callable[[Refresh], bool]:
    """A load package of `source` normalized and being loaded (dlt's load/normalized/<load id>)."""
    def marker(refresh: Refresh) -> bool:
        folder = refresh.data / "dlt_pipelines" / "funnelhouse" / f"funnelhouse_{source}" / "load" / "normalized"
        return folder.is_dir() and any(folder.iterdir())
    return marker


def logged(text: str) -> Callable[[Refresh], bool]:
    return lambda refresh: text in refresh.log()


def step(key: str, then: Callable[[Refresh], bool] | None = None, grace: float = 5.0) -> Callable[[Refresh], bool]:
    """Step `key` started (and `then` holds, or `grace` seconds passed since)."""
    seen: dict[str, float] = {}

    def marker(refresh: Refresh) -> bool:
        if key not in refresh.steps_started():
            return False
        seen.setdefault(key, time.monotonic())
        return then is None or then(refresh) or time.monotonic() - seen[key] > grace
    return marker


def serving_tmp(refresh: Refresh) -> bool:
    return any((refresh.data / "serving").glob(".funnelhouse_serving.duckdb.*.tmp"))


POINTS = [
    ("forms load", loading("forms")),
    ("hubspot load", loading("hubspot")),
    ("spreadsheets load", loading("spreadsheets")),
    ("dbt", logged("OK created sql table model")),
    ("checks", step("marts__fct_deals_gx_marts__fct_deals")),
    ("publishing", step("serving__funnelhouse_serving", then=serving_tmp)),
]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_kill_9_at_six_points_then_rerun_gives_the_clean_marts(tmp_path: Path, fixture_build) -> None:
    inputs = copy_fixture_inputs(tmp_path / "fixtures")
    emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()
    figures, refreshes = [], []
    began = time.monotonic()
    try:
        crashed = tmp_path / "crashed" / "data"
        copy_fixture_inputs(crashed)  # <data>/inputs: the drop folders the refresh reads
        env = environment(crashed, emulator.base_url)
        for number, (point, marker) in enumerate(POINTS, start=1):
            refresh = Refresh(crashed, env, f"run{number}")
            refreshes.append(refresh)
            start = refresh.wait_for(started, HANG_AFTER)
            at = refresh.wait_for(marker, POINT_WITHIN)
            refresh.kill()
            figures.append((point, round(start, 1), round(at, 1)))

        # SIGTERM (a service manager stopping it, or `kill <pid>`) while dbt builds: a clean stop, then re-run
        stopped = Refresh(crashed, env, "sigterm")
        refreshes.append(stopped)
        start = stopped.wait_for(started, HANG_AFTER)
        at = stopped.wait_for(logged("OK created sql table model"), POINT_WITHIN)
        stopped.process.send_signal(signal.SIGTERM)
        assert stopped.process.wait(timeout=120) == 143
        figures.append(("SIGTERM at dbt", round(start, 1), round(at, 1)))
        stop_line = stopped.out.read_text().strip().splitlines()[-1]

        final = Refresh(crashed, env, "final")
        refreshes.append(final)
        start = final.wait_for(started, HANG_AFTER)
        assert final.process.wait(timeout=900) == 0, final.out.read_text()[-3000:]
        figures.append(("final", round(start, 1), round(time.monotonic() - final.launched, 1)))
        recovery = stopped.out.read_text()  # the run after the kill at publishing
        instance = final.instance
        failures = {refresh.name: instance.all_logs(refresh.run().run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
                    for refresh in refreshes[:6]}
        statuses = {refresh.name: refresh.run().status for refresh in refreshes}
    finally:
        emulator.stop()
        for refresh in refreshes:
            refresh.close()
    print(f"\ncrash test: {len(POINTS)} points, (point, start s, kill s): {figures}; "
          f"wall {time.monotonic() - began:.0f} s", file=sys.stderr)

    # every re-run started within 60 s and none hung; each killed run was marked failed by the next
    assert [point for point, start, _ in figures[1:] if start >= START_WITHIN] == []
    assert statuses == {**{f"run{n}": dg.DagsterRunStatus.FAILURE for n in range(1, 7)},
                        "sigterm": dg.DagsterRunStatus.CANCELED, "final": dg.DagsterRunStatus.SUCCESS}
    assert re.fullmatch(r"refresh stopped by SIGTERM: run [0-9a-f-]{36} canceled, its concurrency slots freed; run "
                        r"the refresh again to continue \(log .*/dagster/logs/refresh-\d{8}T\d{6}-[0-9a-f]{8}\.log\)",
                        stop_line)
    assert re.search(r"recovered: run [0-9a-f-]{36} of pid \d+ \(started [^)]+\) had died: marked failed, its "
                     r"concurrency slots freed", recovery)
    assert {name: entries[-1].dagster_event.message.split(" (pid")[0] for name, entries in failures.items()} == {
        f"run{n}": "marked failed by the next refresh: its process" for n in range(1, 7)}
    assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots == []
    # the marts equal a clean build's, row by row (the refresh builds what `dbt build` builds on the same loads)
    with duckdb.connect(str(fixture_build.warehouse), read_only=True) as connection:
        expected = schema_rows(connection)
    with duckdb.connect(str(crashed / "funnelhouse.duckdb"), read_only=True) as connection:
        different = differences(expected, schema_rows(connection), ("clean build", "crashed and re-run"))
        served = serving_tables(connection)
    assert len(expected) == 30 and not different, "\n".join(different)
    # the killed loads were tallied once: forms 15 rows read = 8 loaded + 7 quarantined (as in a clean run)
    with duckdb.connect(str(crashed / "funnelhouse.duckdb"), read_only=True) as connection:
        assert connection.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw_forms.reconciliation "
            "where status = 'loaded'").fetchone() == (15, 8, 7)
    # publishing killed midway left nothing behind: no .tmp file, the Parquet set whole
    assert not list((crashed / "serving").rglob("*.tmp"))
    parquet = crashed / "serving" / "parquet"
    assert sorted(p.name for p in parquet.iterdir()) == served
    assert [table for table in served if not (parquet / table / f"{table}.parquet").is_file()] == []
