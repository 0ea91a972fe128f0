"""A lock file that names its holder: taken without waiting, let go by the system when the holder dies (kill -9 too);
whoever finds it taken is told who holds it, from what the holder wrote into it."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

Busy = Callable[[dict], Exception]  # the exception to raise, given what the holder wrote


def _take(handle, fcntl, busy: Busy) -> None:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        try:
            holder = json.loads(handle.read() or "{}")
        except ValueError:
            holder = {}
        raise busy(holder if isinstance(holder, dict) else {}) from None


def refuse_if_held(path: Path, busy: Busy) -> None:
    """Raise busy(holder) at once when a live process holds the lock file `path`; return when nobody does."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the callers' other guards apply
        return
    if not path.exists():
        return
    with path.open("r", encoding="utf-8") as handle:
        _take(handle, fcntl, busy)  # released when the file closes


@contextmanager
def holding(path: Path, holder: dict, busy: Busy) -> Iterator[None]:
    """Hold the lock file `path` with `holder` (JSON) written into it for as long as the block runs; raise
    busy(other holder) without waiting when another live process holds it."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        _take(handle, fcntl, busy)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(holder))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
