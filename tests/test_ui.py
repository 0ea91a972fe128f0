"""The Dagster UI, started as the README says (`python3 run.py ui`), shows the marts' asset graph with checks in
headless Chromium; a screenshot is written under the data folder."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support.browser import Browser, find_chromium

from funnelhouse import settings

CODE_LOCATION = "funnelhouse"  # [tool.dagster] code_location_name in pyproject.toml


def mart_names() -> list[str]:
    """The names of the assets in the marts group (dbt models of dbt_project/models/marts)."""
    from orchestration.assets.dbt import dbt_models

    return [key.path[-1] for key in dbt_models.keys if key.path[0] == "marts"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class UiEnded(AssertionError):
    """The UI process ended before it answered."""


UI_START_ATTEMPTS = 3  # the free port may be taken by another process before the UI binds it: try another


def wait_for(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise UiEnded(f"the UI process ended with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"{url} did not answer in {timeout:.0f} s")


@pytest.fixture
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("FUNNELHOUSE_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (CI installs Debian's chromium in .ci/run)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    return path


def start_ui(log: Path) -> tuple[subprocess.Popen, int]:
    """`funnelhouse ui` on a free port, once it answers; another port when it ends first (its port was taken)."""
    funnelhouse = Path(sys.executable).parent / "funnelhouse"
    for attempt in range(1, UI_START_ATTEMPTS + 1):
        port = free_port()
        with log.open("w") as output:
            process = subprocess.Popen([str(funnelhouse), "ui", "--port", str(port)], stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(f"http://127.0.0.1:{port}/server_info", process)
            return process, port
        except UiEnded:
            stop(process)  # what it started may still run
            if attempt == UI_START_ATTEMPTS:
                raise AssertionError(f"the UI ended {attempt} times; last log:\n{log.read_text()[-3000:]}")
        except BaseException:
            stop(process)
            raise
    raise AssertionError("unreachable")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_ui_renders_the_marts_asset_graph_with_checks(chromium: str, isolated_data_dir: Path) -> None:
    log = (isolated_data_dir / "ui.log")
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    process, port = start_ui(log)
    try:
        marts = mart_names()
        with Browser(chromium, window=(2400, 1600)) as browser:
            url = f"http://127.0.0.1:{port}/locations/{CODE_LOCATION}/asset-groups/marts/lineage"
            text = browser.open(url, until=["fct_deals", "dim_stage", "Asset checks"], timeout=120)
            browser.click_buttons("Skip")  # the UI's newsletter dialog
            time.sleep(1)
            text = browser.text()
            shot = browser.screenshot(settings.data_dir() / "screenshots" / "dagster_marts_asset_graph.png")
        drawn = sorted(name for name in marts if f"\n{name}\n" in f"\n{text}\n")
        # the graph draws the nodes in view: the marts' core (the facts and dims in the middle of the graph) is
        assert {"fct_deals", "dim_stage"} <= set(drawn) and len(drawn) >= 8, (drawn, text[:2000])
        assert "Asset checks" in text
        assert shot.stat().st_size > 20_000
    finally:
        stop(process)
