"""Wait for a DuckDB warehouse another process holds (a dashboard, a notebook) before writing to it: retry for
FUNNELHOUSE_WAREHOUSE_LOCK_WAIT seconds (default 60), then fail in one line naming the process."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ingestion.common.errors import FunnelhouseError
from ingestion.common.explain import LOCK_WAIT_ENV

LOCK_WAIT_DEFAULT_SECONDS = 60.0


def lock_wait_seconds() -> float:
    """env FUNNELHOUSE_WAREHOUSE_LOCK_WAIT (seconds, 0 = do not wait), default 60."""
    value = os.environ.get(LOCK_WAIT_ENV, "").strip()
    if not value:
        return LOCK_WAIT_DEFAULT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        raise FunnelhouseError(f"{LOCK_WAIT_ENV} must be a number of seconds, got {value!r}") from None
    if seconds < 0:
        raise FunnelhouseError(f"{LOCK_WAIT_ENV} must be a number of seconds, got {value!r}")
    return seconds


def wait_for_warehouse(warehouse: Path, seconds: float | None = None,
                       on_wait: Callable[[str], None] | None = None) -> float:
    """Return once the DuckDB file `warehouse` can be opened for writing (at once when it does not exist yet or the
    warehouse is a server: Postgres, Spark); returns the seconds waited. While another process holds it, `on_wait`
    gets one line saying so and the open is retried every half second; after `seconds` (default
    lock_wait_seconds()) a FunnelhouseError names the process and says to point dashboards at the serving copy.
    The file lock is DuckDB's: the adapter waits (DuckDBWarehouse.wait_until_writable)."""
    from funnelhouse.warehouse import current

    if not Path(warehouse).exists():
        return 0.0
    store = current(duckdb_file=warehouse)
    if not store.is_file:  # a server takes many writers
        return 0.0
    limit = lock_wait_seconds() if seconds is None else seconds
    return store.wait_until_writable(limit, on_wait)
