"""The embedded DuckDB warehouse: one file (settings.warehouse_path()) opened by this process."""
from __future__ import annotations

from pathlib import Path

from funnelhouse import settings
from funnelhouse.warehouse.base import Connection, Warehouse
from ingestion.common.errors import FunnelhouseError


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
