"""dbt models, seeds and tests as Dagster assets and asset checks (dagster-dbt), keyed [schema, name]."""
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from funnelhouse.transform import DBT_PROJECT_DIR, EXCLUDE_UNIT_TESTS, warehouse_env
from funnelhouse.warehouse_lock import wait_for_warehouse
from orchestration.resources import FunnelhouseResource

SEED_SCHEMA = "funnel_config"
FULL_REFRESH_TAG = "funnelhouse/full_refresh"
PROJECT_FILES = ("models", "seeds", "macros", "tests", "dbt_project.yml")


def manifest_path(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """target/manifest.json, parsed anew (dbt parse, no warehouse needed) when missing or older than the project."""
    manifest = project_dir / "target" / "manifest.json"
    newest = max(
        (p.stat().st_mtime for name in PROJECT_FILES for p in [project_dir / name, *(project_dir / name).rglob("*")]
         if p.is_file()),
        default=0.0,
    )
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke(
            ["--quiet", "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
        )
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
    return manifest


class FunnelhouseDbtTranslator(DagsterDbtTranslator):
    """Sources → [raw_<source>, table] (the ingestion assets); models → [schema, model]; seeds → [funnel_config,
    seed]. Groups are the dbt layers (staging, intermediate, marts); the funnel-definition seeds sit in staging."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        if resource_type == "seed":
            return dg.AssetKey([SEED_SCHEMA, dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["fqn"][1], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "staging"
        return dbt_resource_props["fqn"][1]


translator = FunnelhouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=manifest_path(), dagster_dbt_translator=translator, name="dbt_models", pool="warehouse")
def dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, funnelhouse: FunnelhouseResource
) -> Iterator[Any]:
    """dbt build of the selected models, seeds and tests, as of the refresh's as-of day."""
    args = ["build", *EXCLUDE_UNIT_TESTS, "--vars", json.dumps({"as_of": funnelhouse.as_of_date().isoformat()})]
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":
        args.append("--full-refresh")
    # a reader (a dashboard) holding the warehouse: wait FUNNELHOUSE_WAREHOUSE_LOCK_WAIT s, then fail naming it
    wait_for_warehouse(funnelhouse.warehouse_path(), on_wait=context.log.warning)
    with warehouse_env(funnelhouse.warehouse_path()):
        yield from dbt.cli(args, context=context).stream()
