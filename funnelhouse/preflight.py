"""Checks before a command starts a run: arguments that cannot work, and commands run before the one they need.
Each raises a FunnelhouseError whose one line says what to give or what to run first."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from funnelhouse import settings
from ingestion.common.errors import FunnelhouseError


def check_as_of(value: str | None, env: str = "") -> None:
    """--as-of (or, when it is not given, the env variable `env`) must be a day YYYY-MM-DD."""
    name, text = ("--as-of", value) if value or not env else (env, os.environ.get(env, ""))
    if not text:
        return
    try:
        date.fromisoformat(text)
    except ValueError as error:
        why = "" if str(error).startswith("Invalid isoformat") else f" ({error})"
        raise FunnelhouseError(f"{name} must be a date YYYY-MM-DD, e.g. 2026-09-30, got {text!r}{why}") from None


def loaded_sources(warehouse: Path) -> int | None:
    """How many raw_<source> datasets the warehouse settings.warehouse_kind() says holds (None: no DuckDB file
    `warehouse`; Postgres and Spark are read through funnelhouse.warehouse, `warehouse` unused)."""
    from funnelhouse.warehouse import current

    store = current(duckdb_file=warehouse)
    if store.is_file and not warehouse.exists():
        return None
    if store.kind == "spark" and settings.spark_settings().method != "session":
        return 1  # funnelhouse reads Spark through a local session only: a Thrift server's databases go unchecked
    with store.connect(read_only=True) as connection:
        # beside each raw dataset: dlt's raw_<source>_staging for merges, Spark's raw_<source>_files
        return len([name for name in connection.schemas()
                    if name.startswith("raw_") and not name.endswith(("_staging", "_files"))])


def require_loaded(warehouse: Path) -> None:
    """`build` needs raw data: on an empty warehouse (or no DuckDB file) say to run `funnelhouse ingest` first."""
    from funnelhouse.warehouse import current

    first = "run `funnelhouse ingest` (or `funnelhouse refresh`, which also builds) first"
    loaded = loaded_sources(warehouse)
    if loaded is None:
        raise FunnelhouseError(f"{warehouse}: no warehouse here, nothing loaded yet: {first}")
    if not loaded:
        raise FunnelhouseError(f"{current(duckdb_file=warehouse).describe()}: no source loaded into this warehouse "
                               f"yet: {first}")


def require_something_to_refresh(resource) -> None:
    """A refresh with no source to run (no input files, no HubSpot settings) into a warehouse nothing was ever
    loaded into would only build empty marts: say what is missing and what to run first."""
    from ingestion.run import SOURCES, skip_reason

    if loaded_sources(resource.warehouse_path()):
        return
    reasons = [skip_reason(name, resource.ingest_options()) for name in SOURCES]
    if all(reasons):
        missing = "; ".join(reason.split(" — ", 1)[-1] for reason in reasons)
        raise FunnelhouseError(f"nothing to refresh, and nothing loaded before: {missing}; put files in the drop "
                               "folders (or run `funnelhouse generate` for demo data, or `funnelhouse demo`) first")


def require_crm_seed(folder: Path) -> None:
    """`emulate hubspot` serves the files `funnelhouse generate` writes."""
    if not folder.is_dir() or not any(folder.glob("*.jsonl")):
        raise FunnelhouseError(f"{folder}: no CRM seed files (deals.jsonl, owners.jsonl, ...): run `funnelhouse "
                               "generate` first, or pass --data with a folder that has them")


def refuse_if_refresh_running() -> None:
    """A refresh is refused at once, naming the running one, before it waits for anything (the warehouse it holds)."""
    from orchestration.instance import project_instance
    from orchestration.run_guard import refuse_if_refresh_running as refuse

    with project_instance() as instance:
        refuse(Path(instance.root_directory))
