"""Publish the marts for BI tools: a DuckDB file older DuckDBs open, swapped in atomically, and Parquet per mart.

A BI tool that keeps a file open never blocks the nightly refresh: it reads the serving copy, not the warehouse, and
a new copy replaces the old one by rename, so an open connection keeps reading the old file and new connections see
the new one. The Parquet set is written whole into a new version folder and `parquet/` (a symlink) is switched to it
in one rename, so readers never see a mix of two refreshes. A publish killed midway leaves nothing behind that the
next one does not remove. The serving copy holds the marts and dims only (no raw data, no contact details)."""
from __future__ import annotations

import os
import shutil
import time
from datetime import datetime, timezone
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from funnelhouse import settings
from funnelhouse.neutralise import neutralised_select

SERVING_SCHEMA = "marts"
# DuckDB 2 writes files that only DuckDB >= 2 opens unless told an older storage version; many BI tools bundle 1.x
STORAGE_VERSION = "v1.4.0"
INTERNAL_PREFIXES = ("int_",)  # building blocks of the marts layer, not for BI


def serving_path() -> Path:
    """<data>/serving/funnelhouse_serving.duckdb (env FUNNELHOUSE_SERVING_FILE overrides)."""
    return Path(os.environ.get("FUNNELHOUSE_SERVING_FILE", settings.data_dir() / "serving" / "funnelhouse_serving.duckdb"))


def parquet_dir() -> Path:
    """<data>/serving/parquet: one folder per mart (env FUNNELHOUSE_PARQUET_DIR overrides)."""
    return Path(os.environ.get("FUNNELHOUSE_PARQUET_DIR", settings.data_dir() / "serving" / "parquet"))


@dataclass
class Published:
    """What one publication wrote: where, which tables with how many rows, how long it took."""

    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def bytes(self) -> int:
        return sum(p.stat().st_size for p in ([self.path] if self.path.is_file() else self.path.rglob("*.parquet")))


def serving_tables(connection) -> list[str]:
    """The BI-facing tables of the warehouse's marts schema (marts and dims), in name order."""
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
        "order by table_name",
        [SERVING_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows if not name.startswith(INTERNAL_PREFIXES)]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def publish_serving_copy(connection, target: Path | None = None) -> Published:
    """Copy the marts of the warehouse behind `connection` into a new DuckDB file at STORAGE_VERSION, then rename
    it over `target`. Nothing is replaced unless the whole copy was written."""
    target = Path(target or serving_path())
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.*.tmp*"):  # of a publish that was killed
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    alias = f"serving_{uuid.uuid4().hex[:8]}"
    published = Published(target)
    try:
        connection.execute(f"attach {_literal(temporary)} as {alias} (storage_version '{STORAGE_VERSION}')")
        try:
            connection.execute(f"create schema {alias}.{SERVING_SCHEMA}")
            for table in serving_tables(connection):
                connection.execute(
                    f"create table {alias}.{SERVING_SCHEMA}.{_quoted(table)} as "
                    f"select * from {SERVING_SCHEMA}.{_quoted(table)}"
                )
                (count,) = connection.execute(
                    f"select count(*) from {alias}.{SERVING_SCHEMA}.{_quoted(table)}").fetchone()
                published.rows[table] = int(count)
        finally:
            connection.execute(f"detach {alias}")
        os.replace(temporary, target)  # atomic: readers hold the old file or get the new one, never half of one
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
    published.seconds = time.perf_counter() - started
    return published


def versions_dir(folder: Path) -> Path:
    """Where the Parquet sets are written: .<folder name>.versions beside the folder."""
    return folder.parent / f".{folder.name}.versions"


def export_parquet(connection, folder: Path | None = None) -> Published:
    """One folder per mart with `<mart>.parquet`, the whole set written into a new version folder, then `folder`
    (a symlink to the current version) switched to it by one rename. The previous version stays for readers still
    on it; older ones, and those of a publish that was killed, are removed."""
    folder = Path(folder or parquet_dir())
    versions = versions_dir(folder)
    versions.mkdir(parents=True, exist_ok=True)
    for leftover in folder.parent.glob(f".{folder.name}.*.link"):  # of a publish that was killed
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    version = versions / f"{stamp}-{uuid.uuid4().hex[:8]}"
    published = Published(folder)
    for table in serving_tables(connection):
        target = version / table / f"{table}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        connection.execute(
            f"copy ({neutralised_select(connection, SERVING_SCHEMA, table)}) to {_literal(target)} "
            "(format parquet, compression zstd)"
        )
        (count,) = connection.execute(f"select count(*) from {SERVING_SCHEMA}.{_quoted(table)}").fetchone()
        published.rows[table] = int(count)
    previous = folder.resolve().name if folder.is_symlink() else None
    _switch(folder, version)
    for old in versions.iterdir():
        if old.name not in (version.name, previous):
            shutil.rmtree(old, ignore_errors=True)
    published.seconds = time.perf_counter() - started
    return published


def _switch(folder: Path, version: Path) -> None:
    """Point the symlink `folder` at `version` in one rename; a real folder left by an older release is moved
    into the versions first (once)."""
    link = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.link")
    os.symlink(os.path.relpath(version, folder.parent), link)
    try:
        if folder.exists() and not folder.is_symlink():
            folder.rename(versions_dir(folder) / f"before-{version.name}")
        os.replace(link, folder)
    finally:
        if link.is_symlink():
            link.unlink()
