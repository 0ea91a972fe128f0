"""dbt models, seeds and tests as Dagster assets and asset checks (dagster-dbt), keyed [schema, name].

A refresh builds only what changed since the last successful build (funnelhouse.build_plan): nothing when no raw
table got a new load, the same seeds and the same as-of day; below the new loads otherwise. dbt nodes it does not
run are not reported (dagster-dbt yields an asset only for the nodes dbt ran). dbt's partial parsing is kept
between runs: each run starts from the last run's target/partial_parse.msgpack."""
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from funnelhouse import build_plan
from funnelhouse.transform import DBT_PROJECT_DIR, EXCLUDE_UNIT_TESTS, PARTIAL_PARSE, keep_partial_parse, warehouse_env
from funnelhouse.warehouse_lock import wait_for_warehouse
from orchestration.resources import FunnelhouseResource, WarehouseResource

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

        # parsed into a folder of its own, then renamed into place: a process loading the definitions meanwhile
        # reads the old manifest or the new one, never half of it
        manifest.parent.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(dir=manifest.parent, prefix=".parse-") as parsed:
            if (manifest.parent / PARTIAL_PARSE).exists():  # only the changed files are parsed again
                shutil.copyfile(manifest.parent / PARTIAL_PARSE, Path(parsed) / PARTIAL_PARSE)
            result = dbtRunner().invoke(["--quiet", "parse", "--project-dir", str(project_dir), "--profiles-dir",
                                         str(project_dir), "--target-path", parsed])
            if not result.success:
                raise RuntimeError(f"dbt parse failed: {result.exception}")
            for name in ("semantic_manifest.json", PARTIAL_PARSE, "manifest.json"):  # manifest last
                if (Path(parsed) / name).exists():
                    (Path(parsed) / name).replace(manifest.parent / name)
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

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        """A generic model of the YAML CRMs (stg_rest_crm__<table>) reads raw_<name>.<table> of each YAML CRM,
        which no dbt source declares: those raw tables (and their crm_spec) are its upstream assets."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id, {})
        if node.get("resource_type") != "model" or not node["name"].startswith(build_plan.REST_CRM_MODEL):
            return spec
        from orchestration.assets.raw_tables import yaml_crm_tables

        table = node["name"].removeprefix(build_plan.REST_CRM_MODEL)
        parents = [dg.AssetKey([dataset, name]) for dataset, tables in yaml_crm_tables().items() for name in tables
                   if name in (table, build_plan.REST_CRM_SPEC)]
        return spec.replace_attributes(deps=[*spec.deps, *parents])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "staging"
        return dbt_resource_props["fqn"][1]


translator = FunnelhouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def as_of_is_explicit(funnelhouse: FunnelhouseResource) -> bool:
    """An as-of day was given (resource or env FUNNELHOUSE_AS_OF); otherwise it is today, which dbt works out
    itself (macro as_of_day): no --vars, so the nightly parse stays partial although the day changes."""
    return bool(funnelhouse.as_of or os.environ.get("FUNNELHOUSE_AS_OF", ""))


def _finished_badly(instance: dg.DagsterInstance):
    """A run this instance knows that did not succeed (failed later, killed, canceled): its build is redone."""
    def check(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id)
        return run is not None and run.status != dg.DagsterRunStatus.SUCCESS
    return check


def _job_parents(context: dg.AssetExecutionContext, manifest: Mapping[str, Any], nodes: set[str]) -> set[str]:
    """dbt nodes that other assets of this run read beside the ones to build: Dagster skips an asset when any asset
    it depends on was not materialized in the run (dagster-io/dagster#22242), so the serving copy and the reports
    below a rebuilt mart get every mart they read rebuilt too (cheap ones: dims from seeds)."""
    ids = {translator.get_asset_key(node): uid for uid, node in manifest["nodes"].items()
           if node["resource_type"] in ("model", "seed", "snapshot")}
    graph = context.job_def.asset_layer.asset_graph
    in_run = set(context.job_def.asset_layer.selected_asset_keys)
    built = {key for key, uid in ids.items() if uid in nodes}
    readers = {child for key in built for child in graph.get(key).child_keys if child in in_run and child not in ids}
    return {ids[parent] for reader in readers for parent in graph.get(reader).parent_keys if parent in ids}


def _exclusion(manifest: Mapping[str, Any], nodes: set[str]) -> list[str]:
    """dbt arguments that leave out every built node not in `nodes` (dagster-dbt selects all with --select fqn:*
    when the whole asset runs, and a runtime --select would add to it). Tests are chosen here, not by dbt."""
    left_out = sorted(".".join(manifest["nodes"][uid]["fqn"]) for uid in build_plan.built_nodes(manifest) - nodes)
    return ["--indirect-selection", "empty", "--exclude", " ".join(f"fqn:{fqn}" for fqn in left_out)]


def _plan(context: dg.AssetExecutionContext, funnelhouse: FunnelhouseResource, warehouse: WarehouseResource,
          manifest: Mapping[str, Any], full_refresh: bool) -> build_plan.BuildPlan:
    with warehouse.connect() as connection:
        previous_run, previous, since = build_plan.last_build(connection, _finished_badly(context.instance)) \
            or (None, None, [])
        current = build_plan.current_state(connection, manifest, DBT_PROJECT_DIR,
                                           funnelhouse.as_of_date().isoformat(), previous)
    return build_plan.plan_build(manifest, previous, current, previous_run, full_refresh=full_refresh,
                                 since=since)


def _record(context: dg.AssetExecutionContext, warehouse: WarehouseResource, plan: build_plan.BuildPlan,
            run_results: Mapping[str, Any] | None, explicit: bool) -> None:
    """Record the build as started (`run_results` None) or built; with the day left to dbt, the as-of day dbt
    really used (a run crossing midnight UTC builds as of the next day: recorded as unknown, so the next build
    redoes what reads it)."""
    state = plan.current if explicit or run_results is None else build_plan.as_built(plan.current, run_results)
    with warehouse.connect() as connection:
        build_plan.record_build(connection, state, context.run.run_id,
                                "started" if run_results is None else "built")


@dbt_assets(manifest=manifest_path(), dagster_dbt_translator=translator, name="dbt_models", pool="warehouse")
def dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, funnelhouse: FunnelhouseResource,
    warehouse: WarehouseResource,
) -> Iterator[Any]:
    """dbt build, as of the refresh's as-of day, on the warehouse of the `warehouse` resource (its kind is dbt's
    --target), of what changed since the last successful build (all of it with the full-refresh tag, and on a
    warehouse that does not record builds: Warehouse.plans_builds); exactly the selected assets when only some are
    selected, e.g. from the UI."""
    store = warehouse.current()
    full_refresh = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    explicit = as_of_is_explicit(funnelhouse)
    args = ["build", "--target", store.kind, *EXCLUDE_UNIT_TESTS]
    if explicit:
        args += ["--vars", json.dumps({"as_of": funnelhouse.as_of_date().isoformat()})]
    if full_refresh:
        args.append("--full-refresh")
    # a reader (a dashboard) holding the warehouse: wait FUNNELHOUSE_WAREHOUSE_LOCK_WAIT s, then fail naming it
    if store.is_file:
        wait_for_warehouse(funnelhouse.warehouse_path(), on_wait=context.log.warning)
    whole = set(context.selected_asset_keys) == set(context.assets_def.keys) and \
        set(context.selected_asset_check_keys) == set(context.assets_def.check_keys)
    plan = None
    if whole and store.plans_builds:
        manifest = json.loads(manifest_path().read_text(encoding="utf-8"))
        with warehouse_env(funnelhouse.warehouse_path(), store.kind):  # the env the project reads: part of the state
            plan = _plan(context, funnelhouse, warehouse, manifest, full_refresh)
        context.log.info(f"dbt: {plan.describe()}")
        if plan.nothing_to_do:
            return
        if not plan.full:
            nodes = plan.nodes | _job_parents(context, manifest, plan.nodes)
            context.log.info(f"dbt: building {len(nodes)} nodes ({len(plan.nodes)} below the changes, "
                             f"{len(nodes - plan.nodes)} read beside them by the serving copy and reports)")
            args += _exclusion(manifest, nodes)
    if plan is not None:  # before dbt starts: a build killed half way leaves this row, the next one redoes it
        _record(context, warehouse, plan, None, explicit)
    store.release()  # dbt runs in a process of its own (Spark: its own JVM; Derby opens in one JVM at a time)
    with warehouse_env(funnelhouse.warehouse_path(), store.kind):
        invocation = dbt.cli(args, context=context)
        try:
            yield from invocation.stream()
        finally:
            keep_partial_parse(invocation.target_path)
    if plan is not None:
        with warehouse_env(funnelhouse.warehouse_path(), store.kind):
            _record(context, warehouse, plan, invocation.get_artifact("run_results.json"), explicit)
