"""Read a test's DuckDB warehouse: one read-only query, the rows as tuples."""
from __future__ import annotations

from pathlib import Path

import duckdb


def query(warehouse: Path | str, sql: str) -> list[tuple]:
    """Rows of `sql` on the DuckDB file `warehouse`, opened read-only and closed again."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()
