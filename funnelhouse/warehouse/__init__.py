"""The warehouse kinds (DuckDB, Postgres, Spark) behind one interface: each adapter is a module of this package."""
from __future__ import annotations

from pathlib import Path

from funnelhouse import settings
from funnelhouse.warehouse.base import Connection, Warehouse
from ingestion.common.errors import FunnelhouseError

__all__ = ["Connection", "Warehouse", "current"]


def current(kind: str | None = None, duckdb_file: Path | str | None = None) -> Warehouse:
    """The warehouse of `kind` (default settings.warehouse_kind()): DuckDB (the file `duckdb_file`, default
    settings.warehouse_path()), Postgres (settings.postgres_settings()) or Spark (settings.spark_settings())."""
    try:
        kind = kind or settings.warehouse_kind()
    except ValueError as error:
        raise FunnelhouseError(str(error)) from None
    if kind == "duckdb":
        from funnelhouse.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(duckdb_file)
    if kind == "postgres":
        from funnelhouse.warehouse.postgres import PostgresWarehouse

        try:
            return PostgresWarehouse()
        except ValueError as error:
            raise FunnelhouseError(str(error)) from None
    if kind == "spark":
        try:
            from funnelhouse.warehouse.spark import SparkWarehouse
        except ImportError as error:
            raise FunnelhouseError(f"the Spark warehouse adapter cannot be loaded ({error}); install the spark "
                                   "extra (pip install '.[spark]')") from None
        return SparkWarehouse()
    raise FunnelhouseError(f"{settings.WAREHOUSE_KIND_ENV} must be one of {', '.join(settings.WAREHOUSE_KINDS)}, "
                           f"got {kind!r}")
