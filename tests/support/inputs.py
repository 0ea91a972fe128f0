"""The committed fixtures as a drop-folder tree, and the warehouse built from them through the real ingestion and dbt."""
from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_AS_OF = "2025-06-30"
TOKEN = "test-token"


def copy_fixture_inputs(root: Path) -> Path:
    """Copy the form, spreadsheet and HubSpot fixtures to `root`/inputs and return that folder."""
    inputs = root / "inputs"
    shutil.copytree(FIXTURES / "forms", inputs / "forms")
    shutil.copytree(FIXTURES / "spreadsheets" / "drop", inputs / "spreadsheets")
    shutil.copytree(FIXTURES / "hubspot", inputs / "crm")
    return inputs


def copy_project(source: Path, target: Path) -> Path:
    """A copy of a dbt project without its build output, to build or edit without touching the original."""
    shutil.copytree(
        source, target, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__", ".user.yml")
    )
    return target


def copy_fixture_build(build: SimpleNamespace, root: Path) -> SimpleNamespace:
    """A copy of a fixture build (inputs, dlt pipelines, warehouse, project) under `root`, for a night to change:
    SimpleNamespace(root, inputs, warehouse, project, options) with the IngestOptions of the copy."""
    from ingestion.run import IngestOptions

    for folder in ("inputs", "pipelines"):
        shutil.copytree(build.root / folder, root / folder)
    warehouse = root / "warehouse.duckdb"
    shutil.copyfile(build.warehouse, warehouse)
    project = copy_project(build.project, root / "dbt_project")
    options = IngestOptions(inputs_dir=root / "inputs", warehouse=warehouse, pipelines_dir=root / "pipelines")
    return SimpleNamespace(root=root, inputs=root / "inputs", warehouse=warehouse, project=project, options=options)


def build_fixture_warehouse(root: Path, as_of: str = FIXTURE_AS_OF) -> SimpleNamespace:
    """Load the fixtures (HubSpot from the emulator) into `root`/warehouse.duckdb and dbt build a copy of the
    project on it as of `as_of`, unit tests included: SimpleNamespace(root, warehouse, project, statuses)."""
    from emulators.hubspot.server import HubSpotEmulator
    from funnelhouse.transform import DBT_PROJECT_DIR, dbt_build
    from ingestion.run import IngestOptions, ingest_source

    inputs = copy_fixture_inputs(root)
    options = IngestOptions(inputs_dir=inputs, warehouse=root / "warehouse.duckdb", pipelines_dir=root / "pipelines")
    ingest_source("forms", options)
    ingest_source("spreadsheets", options)
    emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()
    try:
        options.hubspot_base_url, options.hubspot_token = emulator.base_url, TOKEN
        ingest_source("hubspot", options)
    finally:
        emulator.stop()
    project = copy_project(DBT_PROJECT_DIR, root / "dbt_project")
    # the whole project, tests included; the build also writes target/semantic_manifest.json, which mf reads
    statuses = dbt_build(options.warehouse, as_of=as_of, project_dir=project, unit_tests=True)
    return SimpleNamespace(root=root, warehouse=options.warehouse, project=project, statuses=statuses)
