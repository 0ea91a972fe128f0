"""Where things live: project root, data folder, warehouse file and drop folders, overridable by env vars."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# dlt reads .dlt/config.toml and .dlt/secrets.toml from here, whatever the current directory is.
os.environ.setdefault("DLT_PROJECT_DIR", str(PROJECT_ROOT))


def data_dir() -> Path:
    """The project's data folder (git-ignored): env FUNNELHOUSE_DATA_DIR, default ./data."""
    return Path(os.environ.get("FUNNELHOUSE_DATA_DIR", PROJECT_ROOT / "data"))


def warehouse_path() -> Path:
    """The DuckDB warehouse file: env FUNNELHOUSE_WAREHOUSE, default data/funnelhouse.duckdb."""
    return Path(os.environ.get("FUNNELHOUSE_WAREHOUSE", data_dir() / "funnelhouse.duckdb"))


def inputs_dir() -> Path:
    """Root of the drop folders (forms/, spreadsheets/, crm/): env FUNNELHOUSE_INPUTS, default data/inputs."""
    return Path(os.environ.get("FUNNELHOUSE_INPUTS", data_dir() / "inputs"))


def pipelines_dir(warehouse: Path | None = None) -> Path:
    """dlt's working folders (state, load packages), one set per warehouse file: a pipeline's cursors and file
    fingerprints belong to the warehouse they were loaded into. Env FUNNELHOUSE_PIPELINES_DIR overrides."""
    if "FUNNELHOUSE_PIPELINES_DIR" in os.environ:
        return Path(os.environ["FUNNELHOUSE_PIPELINES_DIR"])
    warehouse = Path(warehouse or warehouse_path())
    return warehouse.parent / "dlt_pipelines" / warehouse.stem
