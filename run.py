"""Bootstrap: build the project's virtual environment from requirements.lock once, then run funnelhouse or the tests in it.

Usage:  python3 run.py demo        (any funnelhouse subcommand: generate, ingest, emulate, ...)
        python3 run.py test [pytest args]
Only Python 3.11+ with pip is needed; nothing is installed outside ./.venv.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".funnelhouse-installed"
PIP_VERSION = "pip==25.3"
SOURCE_ONLY = ("halo", "pyspark")  # no wheel on PyPI: halo (for dbt-metricflow), pyspark (for dbt-spark)
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
# A second, tiny environment with DuckDB 1.5 (what many BI tools bundle), for the test that opens the serving copy.
BI_VENV = ROOT / ".venv-duckdb15"
BI_LOCK = ROOT / "requirements-duckdb15.lock"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (LOCK, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _pip(*args: str) -> None:
    cmd = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    subprocess.run(cmd, check=True, cwd=ROOT)


def _locked_packages() -> int:
    return sum(1 for line in LOCK.read_text().splitlines() if "==" in line and not line.startswith((" ", "#")))


def _stages(stages: list[tuple[str, Callable[[], object]]]) -> None:
    """Run each (what, step) in turn, one line before and one after each (plain lines: they read the same on a
    terminal, in CI and in a service manager's journal); a failed step names its stage."""
    total, started = len(stages), time.monotonic()
    for number, (what, step) in enumerate(stages, 1):
        print(f"funnelhouse: [{number}/{total}] {what} ...", flush=True)
        began = time.monotonic()
        try:
            step()
        except subprocess.CalledProcessError as error:
            sys.exit(f"funnelhouse: [{number}/{total}] {what} failed (exit code {error.returncode}); the output "
                     "above says why. Fix it, then run the same command again.")
        print(f"funnelhouse: [{number}/{total}] {what}: done in {time.monotonic() - began:.0f} s "
              f"({time.monotonic() - started:.0f} s in all)", flush=True)


def _dbt_parse() -> None:
    """The dbt manifest Dagster reads (orchestration.assets.dbt.manifest_path parses it when missing)."""
    subprocess.run([str(BIN / "python"), "-c", "from orchestration.assets.dbt import manifest_path; manifest_path()"],
                   check=True, cwd=ROOT)


def ensure_environment() -> None:
    """Create ./.venv and install the locked dependencies, unless the lock is unchanged since the last install;
    each stage says what it does and how long it took."""
    if sys.version_info < (3, 11):
        sys.exit(f"funnelhouse needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted and (BIN / "funnelhouse").exists():
        return
    print("funnelhouse: preparing ./.venv from requirements.lock (first run only, a few minutes) ...", flush=True)
    stages: list[tuple[str, Callable[[], object]]] = []
    if not (BIN / "python").exists():
        stages.append(("creating the virtual environment ./.venv", lambda: venv.create(VENV, with_pip=True)))
    # the pip bundled with older Pythons mishandles hashed extras
    stages.append((f"installing {PIP_VERSION}", lambda: _pip("install", "--quiet", PIP_VERSION)))
    # wheels only, but for the few locked packages PyPI has as source only (pure Python; built once, hash-checked)
    stages.append((f"installing the {_locked_packages()} locked packages of requirements.lock (the longest stage)",
                   lambda: _pip("install", "--quiet", "--require-hashes", "--only-binary=:all:",
                                *(f"--no-binary={name}" for name in SOURCE_ONLY), "-r", str(LOCK))))
    stages.append(("installing funnelhouse itself (editable)",
                   lambda: _pip("install", "--quiet", "--no-deps", "--no-build-isolation", "--editable", str(ROOT))))
    stages.append(("dbt parse (the manifest of dbt_project/ that Dagster reads)", _dbt_parse))
    _stages(stages)
    STAMP.write_text(wanted)


def ensure_bi_environment() -> Path:
    """./.venv-duckdb15 with the locked DuckDB 1.5 (for the tests); returns its python."""
    python = BI_VENV / ("Scripts" if os.name == "nt" else "bin") / "python"
    stamp = BI_VENV / ".funnelhouse-installed"
    wanted = hashlib.sha256(BI_LOCK.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    print("funnelhouse: preparing ./.venv-duckdb15 (DuckDB 1.5 for the BI-compatibility test) ...", flush=True)
    if not python.exists():
        venv.create(BI_VENV, with_pip=True)
    subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "--no-input", "install", "--quiet",
                    "--require-hashes", "--only-binary=:all:", "-r", str(BI_LOCK)], check=True, cwd=ROOT)
    stamp.write_text(wanted)
    return python


def main(argv: list[str]) -> int:
    ensure_environment()
    env = dict(os.environ)
    env.setdefault("PYTHONUTF8", "1")
    if argv[:1] == ["test"]:
        env.setdefault("FUNNELHOUSE_DUCKDB15_PYTHON", str(ensure_bi_environment()))
        cmd = [str(BIN / "python"), "-m", "pytest", *argv[1:]]
    else:
        cmd = [str(BIN / "funnelhouse"), *argv]
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
