"""What a dbt build has to run: the raw tables' loads, the seeds, the project and the as-of day, compared with what
the last successful build saw (kept in the warehouse, table dbt_state.builds), as a set of dbt nodes to build.

A build records what it saw only once it succeeded, in one insert: a build killed or failed half way leaves no row,
so the next one compares with the build before it and redoes everything since. The Dagster refresh also passes
`finished_badly`, so that the build of a run that failed later (a blocking check, publishing, a kill) is redone too.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

STATE_SCHEMA = "dbt_state"
STATE_TABLE = f"{STATE_SCHEMA}.builds"
KEPT_BUILDS = 20  # rows kept in dbt_state.builds (the newest)
BUILT_TYPES = ("model", "seed", "snapshot", "test")  # the nodes dbt build runs (unit tests stay in CI)
IGNORED_PARTS = {"target", "logs", "dbt_packages", "__pycache__", ".user.yml"}  # not the project (copy_project too)
DLT_COLUMNS = ("_dlt_load_id", "_dlt_id", "_dlt_root_id", "_dlt_parent_id")
ENV_VAR_CALL = re.compile(r"env_var\(\s*['\"]([A-Za-z0-9_]+)['\"]")
AS_OF_VAR = re.compile(r"var\(\s*['\"]as_of['\"]")
# A YAML CRM's raw_<name> has no dbt source: the generic models stg_rest_crm__<table> find every schema holding a
# crm_spec table when they run (macros/rest_crm.sql), so a load there starts below them.
REST_CRM_MODEL, REST_CRM_SPEC = "stg_rest_crm__", "crm_spec"


@dataclass
class BuildState:
    """What a build sees: per raw table [newest load id, rows, content digest or None], per seed its sha256, the
    project (files other than seed data, the env values they read, the dbt version) as one hash, the as-of day."""

    tables: dict[str, list] = field(default_factory=dict)
    seeds: dict[str, str] = field(default_factory=dict)
    project: str = ""
    as_of: str | None = None


@dataclass
class BuildPlan:
    """The nodes (unique ids) to build and why. `full`: no earlier build to compare with, the project changed or a
    full refresh was asked: everything. Empty `nodes` and not `full`: nothing to run."""

    current: BuildState
    full: bool
    nodes: set[str] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)
    selectors: list[str] = field(default_factory=list)  # the dbt selection the nodes come from, for the log
    previous_run: str | None = None
    run_id: str | None = None  # the build's row in dbt_state.builds, once recorded as started

    @property
    def nothing_to_do(self) -> bool:
        return not self.full and not self.nodes

    def describe(self) -> str:
        if self.full:
            return f"full build: {'; '.join(self.reasons)}"
        if not self.nodes:
            return f"nothing to build: no new load since the last successful build (run {self.previous_run})"
        return (f"{len(self.nodes)} dbt nodes downstream of what changed since run {self.previous_run}: "
                f"{'; '.join(self.reasons)}")


# ---- the project -------------------------------------------------------------------------------------------------

def project_state(project_dir: Path) -> tuple[str, dict[str, str]]:
    """(hash of every project file but seed data, with the values of the env vars they read and dbt's version;
    {seed name: sha256 of its CSV})."""
    from dbt.version import __version__ as dbt_version

    digest, seeds, env_names = hashlib.sha256(dbt_version.encode()), {}, set()
    for path in sorted(p for p in Path(project_dir).rglob("*") if p.is_file()):
        relative = path.relative_to(project_dir)
        if IGNORED_PARTS.intersection(relative.parts):
            continue
        data = path.read_bytes()
        if relative.parts[0] == "seeds" and path.suffix == ".csv":
            seeds[path.stem] = hashlib.sha256(data).hexdigest()
            continue
        if relative.name != "profiles.yml":  # where to connect, not what to build
            digest.update(relative.as_posix().encode() + b"\0" + data + b"\0")
            env_names.update(ENV_VAR_CALL.findall(data.decode("utf-8", errors="replace")))
    for name in sorted(env_names):  # e.g. the reporting currency, the PII salt (only its hash goes in)
        digest.update(f"{name}={os.environ.get(name, '')}\0".encode())
    return digest.hexdigest(), seeds


# ---- the raw tables ----------------------------------------------------------------------------------------------

def raw_tables(manifest: Mapping[str, Any]) -> list[str]:
    """'schema.table' of every dbt source."""
    return sorted({f"{s['schema']}.{s.get('identifier') or s['name']}" for s in manifest["sources"].values()})


def rest_crm_tables(connection) -> list[str]:
    """'schema.table' of every YAML CRM's raw tables: the schemas holding a crm_spec table, as dbt finds them."""
    rows = connection.execute(
        "select table_schema, table_name from information_schema.tables where table_schema in "
        "(select table_schema from information_schema.tables where table_name = ?)", [REST_CRM_SPEC]).fetchall()
    return sorted(f"{schema}.{name}" for schema, name in rows)


def _columns(connection, schemas: Iterable[str]) -> dict[str, list[str]]:
    schemas = sorted(set(schemas))
    if not schemas:
        return {}
    rows = connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_schema in ({', '.join('?' * len(schemas))}) order by ordinal_position", schemas).fetchall()
    found: dict[str, list[str]] = {}
    for schema, table, column in rows:
        found.setdefault(f"{schema}.{table}", []).append(column)
    return found


def _quoted(table: str) -> str:
    schema, name = table.split(".", 1)
    return f'"{schema}"."{name}"'


def _digest(connection, table: str, columns: list[str]) -> str:
    """Order-free hash of the table's rows without dlt's own columns (load and row ids differ on every reload),
    by the warehouse's own row hash (Connection.digest_sql; a bare DuckDB connection hashes as DuckDB does)."""
    kept = [c for c in columns if c not in DLT_COLUMNS]
    digest_sql = getattr(connection, "digest_sql", None) or duckdb_digest_sql
    sql = digest_sql(_quoted(table), columns, kept)
    (value,) = connection.execute(sql).fetchone()
    return str(value)


def duckdb_digest_sql(relation: str, columns: list[str], kept: list[str]) -> str:
    """DuckDB: the sum of hash() of each row (a struct) without the columns not `kept`, as text."""
    dropped = [c for c in columns if c not in kept]
    exclude = f" exclude ({', '.join(dropped)})" if dropped else ""
    return f"select coalesce(sum(hash(r)), 0)::varchar from (select *{exclude} from {relation}) r"


def table_states(connection, tables: list[str], previous: Mapping[str, list] | None = None) -> dict[str, list]:
    """{table: [newest dlt load id, rows, digest]} for the tables that exist. A nested table (no _dlt_load_id of
    its own, e.g. deals__associations) takes its root table's load id. The digest tells a table reloaded whole with
    the same rows (HubSpot's pipelines, each run) from a changed one; it is computed only when the table was
    reloaded whole since `previous`, and carried over while the load id stays."""
    previous = previous or {}
    columns = _columns(connection, (t.split(".", 1)[0] for t in tables))
    roots: dict[str, tuple[str | None, bool]] = {}  # root table -> (newest load id, its rows all from that load)

    def root(table: str) -> tuple[str | None, bool]:
        if table not in roots:
            if "_dlt_load_id" in columns.get(table, []):
                newest, rows, in_newest = _root_counts(connection, table)
                roots[table] = (newest, rows == in_newest)
            else:
                roots[table] = (None, False)
        return roots[table]

    states = {}
    for table in tables:
        if table not in columns:
            continue
        schema, name = table.split(".", 1)
        root_table = table if "_dlt_load_id" in columns[table] else f"{schema}.{name.split('__', 1)[0]}"
        load_id, whole = root(root_table) if root_table in columns else (None, False)
        (rows,) = connection.execute(f"select count(*) from {_quoted(table)}").fetchone()
        before = previous.get(table)
        if before and before[0] == load_id and before[1] == rows:
            digest = before[2]
        elif whole:
            digest = _digest(connection, table, columns[table])
        else:
            digest = None
        states[table] = [load_id, int(rows), digest]
    return states


def _root_counts(connection, table: str) -> tuple[str | None, int, int]:
    (newest,) = connection.execute(f"select max(_dlt_load_id) from {_quoted(table)}").fetchone()
    rows, in_newest = connection.execute(
        f"select count(*), count(*) filter (where _dlt_load_id = ?) from {_quoted(table)}", [newest]).fetchone()
    return newest, rows, in_newest


def table_changed(before: list | None, now: list | None) -> bool:
    if before is None or now is None:
        return before != now
    if before[1] != now[1]:
        return True
    if before[0] == now[0]:
        return False
    return before[2] is None or now[2] is None or before[2] != now[2]


# ---- the dbt graph -----------------------------------------------------------------------------------------------

def built_nodes(manifest: Mapping[str, Any]) -> set[str]:
    """Every node `dbt build` runs (models, seeds, snapshots, data tests)."""
    return {uid for uid, node in manifest["nodes"].items() if node["resource_type"] in BUILT_TYPES}


def downstream(manifest: Mapping[str, Any], starts: Iterable[str]) -> set[str]:
    """The nodes dbt's `<start>+` selects: the starts and everything below them, tests included (a test with any
    parent selected is selected, as dbt's default eager indirect selection does), built nodes only."""
    children, seen, stack = manifest["child_map"], set(starts), list(starts)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen & built_nodes(manifest)


def as_of_models(manifest: Mapping[str, Any]) -> set[str]:
    """Models that read var('as_of'), in their own code or through a macro (as_of_date(), as_of_cutoff(), ...)."""
    macros = manifest["macros"]
    reading = {uid for uid, macro in macros.items() if AS_OF_VAR.search(macro.get("macro_sql") or "")}
    grew = True
    while grew:  # macros calling a macro that reads it
        grown = reading | {uid for uid, macro in macros.items()
                           if reading.intersection(macro.get("depends_on", {}).get("macros", []))}
        grew, reading = grown != reading, grown
    return {uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "model" and (
        AS_OF_VAR.search(node.get("raw_code") or "") or reading.intersection(node["depends_on"].get("macros", [])))}


def _seed_ids(manifest: Mapping[str, Any]) -> dict[str, str]:
    return {node["name"]: uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "seed"}


def _source_ids(manifest: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """'schema.table' -> (source unique id, 'source:<source>.<table>')."""
    return {f"{s['schema']}.{s.get('identifier') or s['name']}": (uid, f"source:{s['source_name']}.{s['name']}")
            for uid, s in manifest["sources"].items()}


def rest_crm_readers(manifest: Mapping[str, Any], table: str) -> list[str]:
    """The generic models reading a YAML CRM's raw table: stg_rest_crm__<table>; all of them for its crm_spec."""
    models = {node["name"]: uid for uid, node in manifest["nodes"].items()
              if node["resource_type"] == "model" and node["name"].startswith(REST_CRM_MODEL)}
    name = table.split(".", 1)[1]
    if name == REST_CRM_SPEC:
        return sorted(models.values())
    return [models[REST_CRM_MODEL + name]] if REST_CRM_MODEL + name in models else []


def only_views_below(manifest: Mapping[str, Any], *starts: str) -> bool:
    """True when nothing but views and no test reads the source (a reconciliation or quarantine table): a view
    reads the table as it is now, so new rows there need no rebuild."""
    below = downstream(manifest, starts)
    return all(manifest["nodes"][uid]["resource_type"] == "model"
               and manifest["nodes"][uid]["config"].get("materialized") == "view" for uid in below)


def plan_build(manifest: Mapping[str, Any], previous: BuildState | None, current: BuildState,
               previous_run: str | None = None, full_refresh: bool = False,
               since: Iterable[BuildState] = ()) -> BuildPlan:
    """The nodes to build: below every raw table with a new load (source:<s>.<t>+), below every changed seed
    (<seed>+) and, when the as-of day moved, below every model that reads it (<model>+); everything when there is
    no earlier build, the project changed or `full_refresh`. Builds `since` the previous one that did not finish
    (or whose run failed later) are redone: what they saw against `previous` is added."""
    plan = _plan_one(manifest, previous, current, previous_run, full_refresh)
    for unfinished in since:
        redo = _plan_one(manifest, previous, unfinished, previous_run, False)
        plan.full = plan.full or redo.full
        plan.nodes |= redo.nodes
        plan.selectors += [s for s in redo.selectors if s not in plan.selectors]
        plan.reasons += [f"redo of a build that did not finish: {reason}" for reason in redo.reasons]
    if plan.full:
        plan.nodes = built_nodes(manifest)
    return plan


def _plan_one(manifest: Mapping[str, Any], previous: BuildState | None, current: BuildState,
              previous_run: str | None, full_refresh: bool) -> BuildPlan:
    plan = BuildPlan(current=current, full=True, previous_run=previous_run)
    if full_refresh:
        plan.reasons.append("a full refresh was asked")
    elif previous is None:
        plan.reasons.append("no earlier successful build recorded in the warehouse")
    elif previous.project != current.project:
        plan.reasons.append("the dbt project, its env vars or dbt changed since the last build")
    if plan.reasons:
        plan.nodes = built_nodes(manifest)
        return plan
    plan.full = False
    starts: list[str] = []
    for table, (source_id, selector) in sorted(_source_ids(manifest).items()):
        if table_changed(previous.tables.get(table), current.tables.get(table)) \
                and not only_views_below(manifest, source_id):
            starts.append(source_id)
            plan.selectors.append(f"{selector}+")
            plan.reasons.append(f"new load in {table}")
    for table in sorted((set(previous.tables) | set(current.tables)) - set(_source_ids(manifest))):
        readers = rest_crm_readers(manifest, table)
        if readers and table_changed(previous.tables.get(table), current.tables.get(table)) \
                and not only_views_below(manifest, *readers):
            starts.extend(readers)
            plan.selectors.extend(f"{manifest['nodes'][uid]['name']}+" for uid in readers)
            plan.reasons.append(f"new load in {table}")
    seeds = _seed_ids(manifest)
    for name in sorted(set(previous.seeds) | set(current.seeds)):
        if previous.seeds.get(name) != current.seeds.get(name) and name in seeds:
            starts.append(seeds[name])
            plan.selectors.append(f"{name}+")
            plan.reasons.append(f"seed {name} changed")
    if previous.as_of != current.as_of:
        models = sorted(as_of_models(manifest))
        starts.extend(models)
        plan.selectors.extend(f"{manifest['nodes'][uid]['name']}+" for uid in models)
        plan.reasons.append(f"the as-of day moved from {previous.as_of} to {current.as_of}: {len(models)} models "
                            "read it")
    plan.nodes = downstream(manifest, starts)
    return plan


# ---- the state table ---------------------------------------------------------------------------------------------

def current_state(connection, manifest: Mapping[str, Any], project_dir: Path, as_of: str | None,
                  previous: BuildState | None = None) -> BuildState:
    project, seeds = project_state(project_dir)
    tables = table_states(connection, [*raw_tables(manifest), *rest_crm_tables(connection)],
                          previous.tables if previous else None)
    return BuildState(tables=tables, seeds=seeds, project=project, as_of=as_of)


def last_build(connection, finished_badly: Callable[[str], bool] = lambda run_id: False
               ) -> tuple[str, BuildState, list[BuildState]] | None:
    """(run id, state) of the newest build that finished and whose run did not fail later, with the states of the
    builds recorded after it (started and never finished: killed or failed half way; or finished in a run that
    failed later), whose nodes are built again; None when there is no such build."""
    exists = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        STATE_TABLE.split(".")).fetchone()[0]
    if not exists:
        return None
    since = []
    for run_id, state, status in connection.execute(
            f"select run_id, state, status from {STATE_TABLE} order by built_at desc").fetchall():
        if status == "built" and not finished_badly(run_id):
            return run_id, BuildState(**json.loads(state)), since
        since.append(BuildState(**json.loads(state)))
    return None


def record_build(connection, state: BuildState, run_id: str | None = None, status: str = "built") -> str:
    """Record a build as `started` (before it runs: a build killed half way leaves that row) or `built` (once it
    succeeded), keeping the newest KEPT_BUILDS rows; returns the run id recorded."""
    run_id = run_id or f"build-{uuid.uuid4()}"
    connection.execute(f"create schema if not exists {STATE_SCHEMA}")
    connection.execute(f"create table if not exists {STATE_TABLE} "
                       "(run_id varchar, built_at timestamp, state varchar, status varchar)")
    values = [json.dumps(asdict(state)), status, run_id]
    if not connection.execute(f"update {STATE_TABLE} set state = ?, status = ? where run_id = ? returning run_id",
                              values).fetchall():
        connection.execute(f"insert into {STATE_TABLE} values (?, ?, ?, ?)",
                           [run_id, datetime.now(timezone.utc).replace(tzinfo=None), *values[:2]])
    connection.execute(f"delete from {STATE_TABLE} where built_at < (select min(built_at) from (select built_at "
                       f"from {STATE_TABLE} order by built_at desc limit {KEPT_BUILDS}) as kept)")
    return run_id


def as_built(state: BuildState, run_results: Mapping[str, Any]) -> BuildState:
    """`state` with the as-of day a build that left the day to dbt (no as_of var: the day its run started, UTC)
    really used: a build started just after midnight UTC, planned the day before, is recorded with an unknown day,
    so that the next build redoes what reads it."""
    started = str((run_results or {}).get("metadata", {}).get("invocation_started_at") or "")[:10]
    if started and started != state.as_of:
        return BuildState(state.tables, state.seeds, state.project, None)
    return state


def forget_builds(connection) -> None:
    """Drop every recorded build (after a build of part of the project: the next one is full)."""
    connection.execute(f"drop table if exists {STATE_TABLE}")
