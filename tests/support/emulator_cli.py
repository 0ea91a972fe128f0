"""`python -m emulators.<vendor>` run as people run it, for the tests of each emulator's command line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def emulator_process(vendor: str, seed: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Starts the emulator of `seed` in a child process and yields the base URL it prints first; then terminates
    it and checks that it ended cleanly (exit status 0, as after Ctrl-C)."""
    process = subprocess.Popen([sys.executable, "-m", f"emulators.{vendor}", str(seed), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    try:
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.returncode == 0, process.stderr.read()
