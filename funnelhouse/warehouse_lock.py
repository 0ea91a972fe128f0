"""Wait for a DuckDB warehouse another process holds (a dashboard, a notebook) before writing to it: retry for
FUNNELHOUSE_WAREHOUSE_LOCK_WAIT seconds (default 60), then fail in one line naming the process."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from funnelhouse import settings
from ingestion.common.errors import FunnelhouseError
from ingestion.common.explain import LOCK_WAIT_ENV, lock_holder, lock_message

LOCK_WAIT_DEFAULT_SECONDS = 60.0
RETRY_EVERY_SECONDS = 0.5


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
    warehouse is Postgres); returns the seconds waited. While another process holds it, `on_wait` gets one line
    saying so and the open is retried every half second; after `seconds` (default lock_wait_seconds()) a
    FunnelhouseError names the process and says to point dashboards at the serving copy."""
    import duckdb

    from funnelhouse.warehouse import current

    if not Path(warehouse).exists() or not current(duckdb_file=warehouse).is_file:  # a server takes many writers
        return 0.0
    limit = lock_wait_seconds() if seconds is None else seconds
    started = time.monotonic()
    told = False
    while True:
        try:
            duckdb.connect(str(warehouse), config=settings.duckdb_config()).close()
            return time.monotonic() - started
        except duckdb.Error as error:
            holder = lock_holder(str(error))
            if holder is None:  # not a lock (e.g. this process has it open otherwise): the step itself will tell
                return time.monotonic() - started
            waited = time.monotonic() - started
            if waited >= limit:
                raise FunnelhouseError(lock_message(str(error), waited=waited)) from None
            if on_wait is not None and not told:
                on_wait(f"the warehouse {holder[0]} is locked by another process ({holder[1]}): waiting up to "
                        f"{limit:.0f} s ({LOCK_WAIT_ENV})")
                told = True
            time.sleep(min(RETRY_EVERY_SECONDS, max(limit - waited, 0.01)))
