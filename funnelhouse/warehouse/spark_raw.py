"""The raw layer of the Spark warehouse: dlt's Parquet files (appended) registered in the Spark catalog, with
one view per dlt table holding the rows a merge would have left (contracts18.md, "Layout of the Spark
warehouse").

Database `raw_<source>_files` holds one external table per dlt table (its folder, typed from the dlt schema);
database `raw_<source>` holds one view per dlt table, the name dbt's sources read on every kind. A view keeps:
- only rows of completed loads: their load id (from the file name `{load_id}.{file_id}.parquet`) has a row
  with status 0 in `_dlt_loads`, which dlt writes after every file of the load; a killed load counts once
  completed;
- primary key: the row of the newest load per key; merge_key: only the rows of the newest load per value;
- hard_delete: a key whose newest row is a delete marker is gone (the marker too);
- nested tables: rows whose parent row is current (dlt's filesystem destination sets no _dlt_root_id);
- quarantine: rows of an input read again by a later load (its `reconciliation` row: input_kind file, status
  not unchanged/failed) are gone: what ingestion.common.quarantine.heal_quarantine deletes on the SQL
  warehouses;
- replace and append tables: every row of completed loads (dlt replaces the files of a replace table itself).
The SQL is built by pure functions (table_sql, view_sql, dataset_sql); register() runs it through this
process's SparkSession, idempotently (external tables dropped and created again, views created or replaced),
or, when the statements are those registered last, refreshes the tables (a session caches their file lists).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DLT_LOADS = "_dlt_loads"
DLT_TABLES_JSONL = ("_dlt_loads", "_dlt_version", "_dlt_pipeline_state")  # dlt writes these as JSON lines
QUARANTINE = "quarantine"
RECONCILIATION = "reconciliation"
LOAD_ID = "__load_id"  # the load of a row, from its file's name; never shown by the views
HEALING_STATUSES_EXCLUDED = ("unchanged", "failed")  # a tally of these statuses did not read its input again

FINGERPRINT_PROPERTY = "funnelhouse.registered"

SPARK_TYPES = {
    "text": "string", "bigint": "bigint", "double": "double", "bool": "boolean", "date": "date",
    "json": "string", "binary": "binary", "time": "string", "wei": "decimal(38,0)",
}


@dataclass(frozen=True)
class RawTable:
    """What the SQL of one dlt table needs from the dlt schema."""

    name: str
    columns: list[tuple[str, str]]  # (name, Spark type)
    file_format: str  # parquet, or json for dlt's own tables
    write_disposition: str = "append"
    primary_key: tuple[str, ...] = ()
    merge_key: tuple[str, ...] = ()
    hard_delete: tuple[str, str] | None = None  # (column, Spark type): a marker row deletes its key
    parent: str | None = None


def spark_type(column: Mapping[str, Any]) -> str:
    """The Spark type of a dlt column: decimals keep their precision (default dlt's 38,9), timestamps
    without a zone are timestamp_ntz (dlt writes them as Parquet timestamps not adjusted to UTC)."""
    kind = column.get("data_type", "text")
    if kind == "decimal":
        precision, scale = column.get("precision") or 38, column.get("scale")
        return f"decimal({precision},{9 if scale is None else scale})"
    if kind == "timestamp":
        return "timestamp_ntz" if column.get("timezone") is False else "timestamp"
    return SPARK_TYPES.get(kind, "string")


def raw_tables(schema_tables: Mapping[str, Mapping[str, Any]]) -> list[RawTable]:
    """The tables of a dlt schema (`schema.tables`) that hold data or are dlt's own, in an order where a
    parent comes before its nested tables. Tables without a typed column yet (declared, never seen) are left
    out."""
    tables = []
    for name, table in schema_tables.items():
        columns = [(column, spark_type(spec)) for column, spec in table.get("columns", {}).items()
                   if spec.get("data_type")]
        if not columns:
            continue
        specs = table.get("columns", {})
        marker = next((c for c, spec in specs.items() if spec.get("hard_delete") and spec.get("data_type")),
                      None)
        tables.append(RawTable(
            name=name, columns=columns,
            file_format="json" if name in DLT_TABLES_JSONL else "parquet",
            write_disposition=_inherited(schema_tables, name, "write_disposition") or "append",
            primary_key=tuple(c for c, spec in specs.items() if spec.get("primary_key")),
            merge_key=tuple(c for c, spec in specs.items() if spec.get("merge_key")),
            hard_delete=(marker, spark_type(specs[marker])) if marker else None,
            parent=table.get("parent"),
        ))
    depth = {t.name: _depth(schema_tables, t.name) for t in tables}
    return sorted(tables, key=lambda t: (depth[t.name], t.name))


def _inherited(schema_tables: Mapping[str, Mapping[str, Any]], name: str, hint: str) -> Any:
    table = schema_tables[name]
    while hint not in table and table.get("parent") in schema_tables:
        table = schema_tables[table["parent"]]
    return table.get(hint)


def _depth(schema_tables: Mapping[str, Mapping[str, Any]], name: str) -> int:
    depth, table = 0, schema_tables[name]
    while table.get("parent") in schema_tables:
        depth, table = depth + 1, schema_tables[table["parent"]]
    return depth


def quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def files_database(dataset: str) -> str:
    return f"{dataset}_files"


def table_location(raw_url: str, dataset: str, table: str) -> str:
    """The folder of a dlt table: <raw_url>/<dataset>/<table>, a file: URI for a local folder."""
    if "://" in raw_url:
        return f"{raw_url.rstrip('/')}/{dataset}/{table}"
    return (Path(raw_url) / dataset / table).as_uri()


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def table_sql(table: RawTable, dataset: str, raw_url: str) -> list[str]:
    """Drop and create the external table `<dataset>_files.<table>` over the table's folder (dropping an
    external table leaves its files)."""
    name = f"{quoted(files_database(dataset))}.{quoted(table.name)}"
    columns = ", ".join(f"{quoted(column)} {kind}" for column, kind in table.columns)
    options = " OPTIONS (mergeSchema 'true')" if table.file_format == "parquet" else ""
    return [
        f"DROP TABLE IF EXISTS {name}",
        f"CREATE TABLE {name} ({columns}) USING {table.file_format}{options} "
        f"LOCATION {_literal(table_location(raw_url, dataset, table.name))}",
    ]


def view_sql(table: RawTable, dataset: str, tables: Mapping[str, RawTable]) -> str:
    """CREATE OR REPLACE VIEW `<dataset>.<table>`: the current rows (the rules of this module's docstring)."""
    files = quoted(files_database(dataset))
    target = f"{quoted(dataset)}.{quoted(table.name)}"
    columns = ", ".join(quoted(column) for column, _ in table.columns)
    if table.name.startswith("_dlt"):
        return f"CREATE OR REPLACE VIEW {target} AS SELECT {columns} FROM {files}.{quoted(table.name)}"
    loaded = f"SELECT load_id FROM {files}.{quoted(DLT_LOADS)} WHERE status = 0"
    ctes = [
        f"loaded AS ({loaded})",
        f"landed AS (SELECT {columns}, substring_index(_metadata.file_name, '.', 2) AS {LOAD_ID} "
        f"FROM {files}.{quoted(table.name)})",
        f"completed AS (SELECT * FROM landed WHERE {LOAD_ID} IN (SELECT load_id FROM loaded))",
    ]
    conditions = []
    merging = table.write_disposition == "merge" and table.parent is None
    windows = []
    if merging and table.primary_key:
        keys = ", ".join(quoted(c) for c in table.primary_key)
        windows.append(f"row_number() OVER (PARTITION BY {keys} ORDER BY {LOAD_ID} DESC) AS __key_rank")
        conditions.append("__key_rank = 1")
    if merging and table.merge_key:
        keys = ", ".join(quoted(c) for c in table.merge_key)
        windows.append(f"max({LOAD_ID}) OVER (PARTITION BY {keys}) AS __newest_for_merge_key")
        conditions.append(f"{LOAD_ID} = __newest_for_merge_key")
    source = "completed"
    if windows:
        ctes.append(f"ranked AS (SELECT *, {', '.join(windows)} FROM completed)")
        source = "ranked"
    if merging and table.hard_delete:
        column, kind = table.hard_delete
        marker = (f"coalesce({quoted(column)}, false)" if kind == "boolean"
                  else f"{quoted(column)} IS NOT NULL")
        conditions.append(f"NOT {marker}")
    if table.parent is not None:
        parent = f"{quoted(dataset)}.{quoted(table.parent)}"
        conditions.append(f"`_dlt_parent_id` IN (SELECT `_dlt_id` FROM {parent})")
    if merging and table.name == QUARANTINE and RECONCILIATION in tables:
        statuses = ", ".join(_literal(s) for s in HEALING_STATUSES_EXCLUDED)
        ctes.append(
            f"reread AS (SELECT input_name, substring_index(_metadata.file_name, '.', 2) AS {LOAD_ID} "
            f"FROM {files}.{quoted(RECONCILIATION)} "
            f"WHERE input_kind = 'file' AND status NOT IN ({statuses}))")
        conditions.append(
            f"NOT EXISTS (SELECT 1 FROM reread JOIN loaded ON reread.{LOAD_ID} = loaded.load_id "
            f"WHERE reread.input_name = {source}.input_name AND reread.{LOAD_ID} > {source}.{LOAD_ID})")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"CREATE OR REPLACE VIEW {target} AS WITH {', '.join(ctes)} SELECT {columns} FROM {source}{where}"


def dataset_sql(schema_tables: Mapping[str, Mapping[str, Any]], dataset: str, raw_url: str) -> list[str]:
    """Every statement that registers a dataset: both databases, then per table its external table and its
    view."""
    tables = raw_tables(schema_tables)
    by_name = {t.name: t for t in tables}
    statements = [f"CREATE DATABASE IF NOT EXISTS {quoted(files_database(dataset))}",
                  f"CREATE DATABASE IF NOT EXISTS {quoted(dataset)}"]
    for table in tables:
        statements.extend(table_sql(table, dataset, raw_url))
    for table in tables:
        statements.append(view_sql(table, dataset, by_name))
    return statements


def registered_fingerprint(session, dataset: str) -> str:
    """The fingerprint of the statements that last registered `dataset` (a property of `<dataset>_files`),
    "" when it was never registered in this metastore."""
    if not session.catalog.databaseExists(files_database(dataset)):
        return ""
    rows = session.sql(f"DESCRIBE DATABASE EXTENDED {quoted(files_database(dataset))}").collect()
    properties = next((str(row[1]) for row in rows if str(row[0]).lower() == "properties"), "")
    found = re.search(rf"\({FINGERPRINT_PROPERTY},([0-9a-f]+)\)", properties)
    return found.group(1) if found else ""


def register(pipeline, spark=None) -> list[str]:
    """Register the dataset of a dlt pipeline (its default schema) in the Spark catalog through this process's
    SparkSession (funnelhouse.warehouse.spark_session); returns the tables registered. A pipeline that has not
    loaded yet registers nothing. When the metastore holds the same statements already (their fingerprint is
    kept as a property of `<dataset>_files`), the tables are only refreshed."""
    from funnelhouse import settings
    from funnelhouse.warehouse.spark_session import spark_session

    if not pipeline.default_schema_name:
        return []
    schema_tables = pipeline.default_schema.tables
    if DLT_LOADS not in schema_tables:
        return []
    raw_url = settings.spark_settings().raw_url
    session = spark or spark_session()
    statements = dataset_sql(schema_tables, pipeline.dataset_name, raw_url)
    fingerprint = hashlib.sha256("\n".join(statements).encode()).hexdigest()[:32]
    tables = raw_tables(schema_tables)
    if registered_fingerprint(session, pipeline.dataset_name) != fingerprint:
        for statement in statements:
            session.sql(statement)
        session.sql(f"ALTER DATABASE {quoted(files_database(pipeline.dataset_name))} SET DBPROPERTIES "
                    f"('{FINGERPRINT_PROPERTY}' = '{fingerprint}')")
    else:  # a session caches the files it listed: this one reads the new files of the load
        for table in tables:
            session.sql(f"REFRESH TABLE {quoted(files_database(pipeline.dataset_name))}.{quoted(table.name)}")
    return [t.name for t in tables]
