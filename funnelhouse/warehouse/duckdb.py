"""The embedded DuckDB warehouse: one file (settings.warehouse_path()) opened by this process."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from funnelhouse import settings
from funnelhouse.warehouse.base import Connection, Warehouse
from ingestion.common.errors import FunnelhouseError

RETRY_EVERY_SECONDS = 0.5


class DuckDBConnection(Connection):
    """A DuckDB connection; execute returns DuckDB's own result (fetch_df_chunk and the rest included)."""

    kind = "duckdb"

    def __init__(self, raw) -> None:
        import duckdb

        self.raw = raw
        self.errors = (duckdb.Error,)
        self.missing_errors = (duckdb.CatalogException,)

    def execute(self, sql: str, params=None):
        return self.raw.execute(sql, list(params) if params is not None else [])

    def digest_sql(self, relation: str, columns: list[str], kept: list[str]) -> str:
        from funnelhouse.build_plan import duckdb_digest_sql

        return duckdb_digest_sql(relation, columns, kept)

    def close(self) -> None:
        self.raw.close()


class DuckDBWarehouse(Warehouse):
    """The DuckDB file `path` (default settings.warehouse_path())."""

    kind = "duckdb"
    plans_builds = True
    is_file = True

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else settings.warehouse_path()

    def describe(self) -> str:
        return str(self.path)

    def open(self, read_only: bool = False) -> DuckDBConnection:
        import duckdb

        if read_only and not self.path.is_file():
            raise FunnelhouseError(f"{self.path}: no warehouse here; load data and run the dbt build first")
        return DuckDBConnection(duckdb.connect(str(self.path), read_only=read_only, config=settings.duckdb_config()))

    def wait_until_writable(self, limit: float, on_wait: Callable[[str], None] | None = None) -> float:
        """Wait up to `limit` seconds while another process holds the file (DuckDB's lock), retrying every half
        second; `on_wait` hears once who holds it. Returns the seconds waited; a FunnelhouseError naming the
        process after `limit`."""
        import duckdb

        from ingestion.common.explain import LOCK_WAIT_ENV, lock_holder, lock_message

        started = time.monotonic()
        told = False
        while True:
            try:
                duckdb.connect(str(self.path), config=settings.duckdb_config()).close()
                return time.monotonic() - started
            except duckdb.Error as error:
                holder = lock_holder(str(error))
                if holder is None:  # not a lock (e.g. this process has it open otherwise): the step itself tells
                    return time.monotonic() - started
                waited = time.monotonic() - started
                if waited >= limit:
                    raise FunnelhouseError(lock_message(str(error), waited=waited)) from None
                if on_wait is not None and not told:
                    on_wait(f"the warehouse {holder[0]} is locked by another process ({holder[1]}): waiting up to "
                            f"{limit:.0f} s ({LOCK_WAIT_ENV})")
                    told = True
                time.sleep(min(RETRY_EVERY_SECONDS, max(limit - waited, 0.01)))
