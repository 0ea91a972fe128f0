"""Find the files in a drop folder that are new or changed since the last load, by content fingerprint; skip files
still being written and never follow a link out of the folder."""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
SETTLE_SECONDS = 1.0  # default of env FUNNELHOUSE_SETTLE_SECONDS


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class DropFile:
    """A file found in a drop folder: its path, its name relative to the drop root, its fingerprint."""

    path: Path
    name: str
    sha256: str


def list_files(root: Path, patterns: Iterable[str]) -> list[Path]:
    """Files under root matching any glob pattern, in a stable order, each once; hidden and temp files skipped."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and not path.name.startswith((".", "~$")):
                found[path] = None
    return list(found)


def outside(root: Path, path: Path) -> bool:
    """Whether `path` (through a link, of itself or of a folder on its way) lies outside the drop folder `root`."""
    return not path.resolve().is_relative_to(root.resolve())


def settle_seconds() -> float:
    """How long a file's size and modification time must stay the same before it is read (env
    FUNNELHOUSE_SETTLE_SECONDS, default 1 s; 0 reads files at once)."""
    text = os.environ.get("FUNNELHOUSE_SETTLE_SECONDS", "").strip()
    try:
        return max(0.0, float(text)) if text else SETTLE_SECONDS
    except ValueError:
        return SETTLE_SECONDS


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def unsettled(paths: Iterable[Path], seconds: float | None = None) -> set[Path]:
    """The files still being written: modified less than `seconds` ago and whose size or modification time changed
    while waiting for them to reach that age (one wait for all of them, at most `seconds`)."""
    seconds = settle_seconds() if seconds is None else seconds
    if seconds <= 0:
        return set()
    now = time.time()
    signatures = {path: _signature(path) for path in paths}
    young = {path: sig for path, sig in signatures.items() if sig and now - sig[1] / 1e9 < seconds}
    if not young:
        return set()
    youngest = min(now - signature[1] / 1e9 for signature in young.values())
    time.sleep(min(seconds, max(0.0, seconds - youngest)))  # a time in the future waits `seconds`
    return {path for path, signature in young.items() if _signature(path) != signature}
