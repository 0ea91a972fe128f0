"""Pipedrive's official Node client (npm `pipedrive`) reads the Pipedrive emulator: deals across pages, deleted
deals, a deal, its changelog across pages, pipelines, stages, persons, organizations, users, deal fields, and a 401.

The client is installed once per machine into a cache folder outside the repository ($FUNNELHOUSE_NPM_CACHE, else
$XDG_CACHE_HOME/funnelhouse/npm or ~/.cache/funnelhouse/npm). Without node and npm the test is skipped, unless
FUNNELHOUSE_REQUIRE_NODE=1 (CI) makes that a failure.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from emulators.pipedrive import PipedriveEmulator

FIXTURES = Path(__file__).parent / "fixtures" / "pipedrive"
SCRIPT = Path(__file__).parent / "support" / "pipedrive_client.cjs"
CLIENT_VERSION = "33.7.0"
PARTNER = "5f3c1a7e9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e"


def _unavailable(reason: str) -> None:
    if os.environ.get("FUNNELHOUSE_REQUIRE_NODE") == "1":
        pytest.fail(f"{reason} (FUNNELHOUSE_REQUIRE_NODE=1)")
    pytest.skip(reason)


def _cache_root() -> Path:
    if os.environ.get("FUNNELHOUSE_NPM_CACHE"):
        return Path(os.environ["FUNNELHOUSE_NPM_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "funnelhouse" / "npm"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """node_modules holding pipedrive@33.7.0, installed on first use (under a lock, then moved into place)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("node and npm are needed to run Pipedrive's official client (Debian: apt-get install nodejs npm)")
    root = _cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"pipedrive-{CLIENT_VERSION}"
    installed = target / "node_modules" / "pipedrive" / "package.json"
    with open(root / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.exists():
            staging = Path(tempfile.mkdtemp(prefix="pipedrive-npm-", dir=root))
            result = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(staging),
                 f"pipedrive@{CLIENT_VERSION}"],
                capture_output=True, text=True, timeout=300,
            )
            if result.returncode != 0:
                shutil.rmtree(staging, ignore_errors=True)
                _unavailable(f"npm install pipedrive@{CLIENT_VERSION} failed: {result.stderr.strip()[-500:]}")
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
    assert json.loads(installed.read_text())["version"] == CLIENT_VERSION
    return target / "node_modules"


def test_official_client_reads_the_emulator(node_modules):
    with PipedriveEmulator(FIXTURES).start() as emulator:
        env = {**os.environ, "NODE_PATH": str(node_modules), "PIPEDRIVE_BASE": emulator.base_url,
               "PIPEDRIVE_TOKEN": "emulator-token"}
        result = subprocess.run(["node", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        read = json.loads(result.stdout)
        stats = emulator.stats()
    assert read == {
        "deal_pages": [[1, 2, 3, 4], [5, 8]],  # 6 live deals, 4 a page; next_cursor null after the second
        "deleted": [6, 7],
        "changed_since": [5, 4, 2],  # updated at or after 2026-02-03T12:00:00Z, newest first
        "deal_2": {"status": "won", "value": 1500, "currency": "EUR", "stage_id": 4,
                   "custom_fields": {PARTNER: "Reseller"}},
        # deal 2's 6 changelog items newest first, 4 a page
        "changelog_pages": [[f"{PARTNER}:Reseller", "status:won", "value:1500", "stage_id:4"],
                            ["stage_id:2", "stage_id:3"]],
        "pipelines": ["Sales", "Partnerships"],
        "stages": [1, 2, 3, 4],
        "persons": [[1, 2, 3], [4]],
        "organizations": ["Nordwind GmbH", "Lumen SA", "Kaskade BV"],
        "users": [13052000, 13052007],
        "deal_fields": 6,
        "unauthorized": {"success": False, "error": "Invalid API token", "errorCode": 401},
    }
    # 2 deal pages + deleted + changed since + the 401; 2 changelog pages; 2 person pages
    assert stats["routes"] == {
        "/api/v1/dealFields": {"200": 1},
        "/api/v1/deals/{id}/changelog": {"200": 2},
        "/api/v1/users": {"200": 1},
        "/api/v2/deals": {"200": 4, "401": 1},
        "/api/v2/deals/{id}": {"200": 1},
        "/api/v2/organizations": {"200": 1},
        "/api/v2/persons": {"200": 2},
        "/api/v2/pipelines": {"200": 1},
        "/api/v2/stages": {"200": 1},
    }
