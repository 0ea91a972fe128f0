"""dbt's own overhead: the SQL dbt compiled and ran in a build, run again directly in DuckDB, node by node in the
order dbt ran them (run_results.json), on a copy of the warehouse the build ran on.

  seed       create or replace table <seed> as select * from read_csv(<csv>, the column types dbt gave it)
  model      create or replace view | table <model> as <compiled SQL> (incremental models as tables: the build
             was a full refresh), then the model's post-hooks ({{ this }} and {{ ref() }} filled in)
  data test  select count(*) from (<compiled SQL>), as dbt's test materialization does
  unit test  select count(*) from (<compiled SQL on the fixtures>); dbt also computes the expected rows and diffs
             them, which this leaves out (a small share of the unit tests' time)

What it does not do: parsing the project, rendering Jinja, the materializations' bookkeeping (temporary relations,
renames, backups, contracts' typed create), the adapter's caching and metadata queries, events and artifacts."""
from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any


def _relation(node: dict[str, Any]) -> str:
    return node["relation_name"]


def _render_hook(
    sql: str, node: dict[str, Any], nodes_by_name: dict[str, dict[str, Any]], as_of: str | None
) -> str | None:
    """A post-hook's SQL with {{ this }}, {{ ref('x') }} and the project's as-of macros filled in; None when it uses
    anything else (then it is left out and reported)."""
    import jinja2

    day = date.fromisoformat(as_of) if as_of else date.today()
    context = {
        "this": _relation(node),
        "ref": lambda name: _relation(nodes_by_name[name]),
        "as_of_date": lambda: f"cast('{day.isoformat()}' as date)",
        "as_of_cutoff": lambda: f"cast('{(day + timedelta(days=1)).isoformat()} 00:00:00' as timestamp)",
    }
    try:
        return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(sql).render(context)
    except (jinja2.TemplateError, KeyError, TypeError):
        return None


def seed_columns(connection: Any, node: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, type) of a seed as dbt created it in the warehouse `connection` is open on."""
    return connection.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [node["schema"], node["alias"]]).fetchall()


def seed_sql(node: dict[str, Any], project_dir: Path, columns: list[tuple[str, str]] | list[list[str]]) -> str:
    """The seed's table from its CSV with the column types dbt gave it."""
    path = str(project_dir / node["original_file_path"]).replace("'", "''")
    types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns)
    return f"create or replace table {_relation(node)} as select * from read_csv('{path}', header = true, " \
           f"columns = {{{types}}})"


def plan(project_dir: Path) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """(kind, unique_id, statements) per node of the last build, in the order dbt ran them, and the post-hooks left
    out. Seeds' statements are built at run time (they need the seed table's column types): empty here."""
    target = project_dir / "target"
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    run_results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    results = run_results["results"]
    build_vars = (run_results.get("args") or {}).get("vars") or {}
    as_of = build_vars.get("as_of") if isinstance(build_vars, dict) else None
    nodes = manifest["nodes"]
    skipped_hooks: list[str] = []
    by_name = {node["name"]: node for node in nodes.values() if node["resource_type"] in ("model", "seed")}
    steps: list[tuple[str, str, list[str]]] = []
    for result in results:
        uid = result["unique_id"]
        kind = uid.split(".")[0]
        code = (result.get("compiled_code") or "").strip().rstrip(";")
        if kind == "seed":
            steps.append((kind, uid, []))
        elif kind == "model":
            node = nodes[uid]
            materialized = node["config"]["materialized"]
            if materialized == "ephemeral":
                continue
            verb = "view" if materialized == "view" else "table"
            statements = [f"create or replace {verb} {_relation(node)} as (\n{code}\n)"]
            for hook in node["config"].get("post-hook") or []:
                rendered = _render_hook(hook["sql"], node, by_name, as_of)
                if rendered is None:
                    skipped_hooks.append(f"{node['name']}: {hook['sql']}")
                else:
                    statements.append(rendered)
            steps.append((kind, uid, statements))
        elif kind in ("test", "unit_test"):
            if code:
                steps.append((kind, uid, [f"select count(*) from (\n{code}\n) as dbt_internal_test"]))
    return steps, skipped_hooks


def run(warehouse_copy: Path, project_dir: Path) -> dict[str, Any]:
    """Run every node's SQL on `warehouse_copy` (a copy with the file name of the warehouse dbt built: the compiled
    SQL names the database after it). Seconds in all and per kind of node."""
    import duckdb

    steps, skipped_hooks = plan(project_dir)
    manifest_nodes = json.loads((project_dir / "target" / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    per_kind: dict[str, dict[str, float]] = {}
    failures = 0
    started = time.perf_counter()
    with duckdb.connect(str(warehouse_copy)) as connection:
        for kind, uid, statements in steps:
            step = time.perf_counter()
            if kind == "seed":
                node = manifest_nodes[uid]
                statements = [seed_sql(node, project_dir, seed_columns(connection, node))]
            for statement in statements:
                result = connection.execute(statement)
                if kind in ("test", "unit_test"):
                    failures += int(kind == "test" and result.fetchone()[0] > 0)
            tally = per_kind.setdefault(kind, {"nodes": 0, "seconds": 0.0})
            tally["nodes"] += 1
            tally["seconds"] += time.perf_counter() - step
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "per_kind": _rounded(per_kind),
        "failing_tests": failures,
        "skipped_hooks": skipped_hooks,
    }


def _rounded(per_kind: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {kind: {"nodes": int(t["nodes"]), "seconds": round(t["seconds"], 3)} for kind, t in per_kind.items()}


def dbt_timing(project_dir: Path) -> dict[str, Any]:
    """What dbt says about its own build (run_results.json): elapsed seconds and the per-node execution times."""
    results = json.loads((project_dir / "target" / "run_results.json").read_text(encoding="utf-8"))
    per_kind: dict[str, dict[str, float]] = {}
    for result in results["results"]:
        kind = result["unique_id"].split(".")[0]
        tally = per_kind.setdefault(kind, {"nodes": 0, "seconds": 0.0})
        tally["nodes"] += 1
        tally["seconds"] += result.get("execution_time") or 0.0
    return {
        "elapsed_seconds": round(results.get("elapsed_time") or 0.0, 3),
        "per_kind": _rounded(per_kind),
    }
