"""The raw layer on Spark: the test fixtures (forms, spreadsheets, HubSpot from its emulator) ingested with kind spark
(dlt's Parquet files, appended, and funnelhouse.warehouse.spark_raw's views of current rows) equal, row by row, the
same fixtures ingested into DuckDB (dlt's merge) — after a first load, after a night of changes (a spreadsheet edited:
merge_key and a quarantine healed; a HubSpot deal edited: primary key; its associations removed: hard_delete), after
a run with nothing new, and after a load killed before dlt recorded it in `_dlt_loads`. Then the view rules on a
small hand-made dataset, row by row, and the SQL they are made of.

One Spark JVM for the module (stopped at its end); skipped when no Java runtime is found.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from support.inputs import TOKEN, copy_fixture_inputs

from funnelhouse.warehouse import spark_raw

SOURCES = ("forms", "spreadsheets", "hubspot")
LEFT_OUT = {"_dlt_id", "_dlt_load_id", "_dlt_parent_id", "_dlt_root_id"}  # differ by kind (ids, load times)
MASKED = {"load_id", "reconciled_at", "quarantined_at"}  # the time of each run: set on both sides, never equal
EXPORT = "pipeline_export_en.csv"
TUNED = ("spark.sql.adaptive.enabled", "spark.sql.codegen.wholeStage")  # set by the small-query tuning
RUN_TIME = re.compile(r"(?<=< )\d{4}-\d\d-\d\dT[0-9:.]+\+00:00")


# --- rows of both warehouses, normalised --------------------------------------------------------------------------

def _normalise(value: object, local_time: bool) -> object:
    """Numbers as decimals rounded to 6 places, timestamps as UTC without zone (pyspark gives a timestamp as a
    naive time of this process's zone: `local_time`), the rest as it is."""
    if isinstance(value, str):  # a HubSpot tally's detail names the run's time: "... < 2026-12-07T01:25:37.032+00:00"
        return RUN_TIME.sub("<run time>", value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).quantize(Decimal("0.000001")) + 0
    if isinstance(value, dt.datetime) and (value.tzinfo is not None or local_time):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _sorted_rows(columns: list[str], rows: list[tuple], spark_types: list[str] | None = None) -> list[tuple]:
    local = [kind == "timestamp" for kind in spark_types] if spark_types else [False] * len(columns)
    normalised = [
        tuple("<masked>" if name in MASKED and value is not None else _normalise(value, is_local)
              for name, is_local, value in zip(columns, local, row))
        for row in rows
    ]
    return sorted(normalised, key=lambda row: tuple((0, "") if v is None else (1, str(v)) for v in row))


def duckdb_raw(warehouse: Path, sources: tuple[str, ...] = SOURCES) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of the raw_<source> schemas but dlt's own: {schema.table: (columns, rows)}."""
    tables = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        marks = ", ".join("?" for _ in sources)
        names = connection.execute(
            f"select table_schema, table_name from information_schema.tables where table_schema in ({marks}) "
            "and table_name not like '\\_dlt%' escape '\\' order by 1, 2", [f"raw_{s}" for s in sources]).fetchall()
        for schema, table in names:
            columns = [name for (name,) in connection.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall() if name not in LEFT_OUT]
            rows = connection.execute(f'select {", ".join(columns)} from {schema}."{table}"').fetchall()
            tables[f"{schema}.{table}"] = (columns, _sorted_rows(columns, rows))
    return tables


def spark_raw_views(warehouse, sources: tuple[str, ...] = SOURCES) -> dict[str, tuple[list[str], list[tuple]]]:
    """The same through the Spark adapter (funnelhouse.warehouse.spark.SparkWarehouse): the views of raw_<source>,
    read 4 at a time (a small Spark query costs ~1 s of scheduling; they overlap)."""
    from concurrent.futures import ThreadPoolExecutor

    def read(connection, schema: str, table: str) -> tuple[str, tuple[list[str], list[tuple]]]:
        typed = [(n, t) for n, t in connection.columns(schema, table) if n not in LEFT_OUT]
        columns = [name for name, _ in typed]
        rows = connection.execute(f"select {', '.join(f'`{c}`' for c in columns)} from {schema}.`{table}`").fetchall()
        return f"{schema}.{table}", (columns, _sorted_rows(columns, rows, [t for _, t in typed]))

    with warehouse.connect(read_only=True) as connection:
        names = [(schema, table) for schema in (f"raw_{s}" for s in sources) for table in connection.tables(schema)
                 if not table.startswith("_dlt")]
        with ThreadPoolExecutor(4) as pool:
            return dict(pool.map(lambda name: read(connection, *name), names))


def differences(duck: dict, spark: dict) -> list[str]:
    """One paragraph per table whose columns or rows differ (rows: what only one side has)."""
    found = []
    for table in sorted(set(duck) | set(spark)):
        if table not in duck or table not in spark:
            found.append(f"{table}: only on {'DuckDB' if table in duck else 'Spark'}")
            continue
        (duck_columns, duck_rows), (spark_columns, spark_rows) = duck[table], spark[table]
        if sorted(duck_columns) != sorted(spark_columns):
            found.append(f"{table}: columns {duck_columns} on DuckDB, {spark_columns} on Spark")
            continue
        order = [spark_columns.index(c) for c in duck_columns]
        spark_rows = _sorted_rows(duck_columns, [tuple(row[i] for i in order) for row in spark_rows])
        duck_rows = _sorted_rows(duck_columns, duck_rows)
        if duck_rows != spark_rows:
            only_duck = [r for r in duck_rows if r not in spark_rows]
            only_spark = [r for r in spark_rows if r not in duck_rows]
            found.append(f"{table} ({len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark): only on DuckDB "
                         f"{only_duck[:3]}, only on Spark {only_spark[:3]}")
    return found


def counts(tables: dict) -> dict[str, int]:
    return {table: len(rows) for table, (_, rows) in tables.items()}


# --- the module's loads -------------------------------------------------------------------------------------------

def _edit_export(inputs: Path) -> None:
    """pipeline_export_en.csv edited: D-004's bad date fixed (its quarantine row heals, D-004 loads) and D-005's row
    removed (only the merge_key source_file removes it: no later row has its key)."""
    path = inputs / "spreadsheets" / EXPORT
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines = [line.replace("13/45/2025", "2025-03-07") for line in lines if not line.startswith("D-005,")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _ingest(kind: str, env: dict[str, str], options, monkeypatch: pytest.MonkeyPatch, names=SOURCES) -> dict:
    from ingestion.run import ingest_source

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {name: ingest_source(name, options)[0] for name in names}


@pytest.fixture(scope="module")
def spark_jvm(tmp_path_factory: pytest.TempPathFactory):
    """The module's root folder; the one SparkSession (and JVM) of the module is stopped at its end."""
    from funnelhouse.warehouse.spark_session import require_java, stop_session
    from ingestion.common.errors import FunnelhouseError

    try:
        require_java()
    except FunnelhouseError as error:
        pytest.skip(str(error))
    yield tmp_path_factory.mktemp("spark_raw")
    stop_session()


@pytest.fixture(scope="module")
def spark_loads(spark_jvm: Path) -> SimpleNamespace:
    """Both kinds loaded from the same inputs and emulator, four times; the raw rows of each kind after each."""
    from dlt.destinations.impl.filesystem.filesystem import FilesystemClient

    from emulators.hubspot.server import HubSpotEmulator
    from funnelhouse.warehouse.spark import SparkWarehouse
    from ingestion.run import IngestOptions
    from test_hubspot_flat_associations import drop_deal_7_links

    root = spark_jvm
    inputs = copy_fixture_inputs(root)
    duck_env = {"FUNNELHOUSE_WAREHOUSE_KIND": "duckdb", "FUNNELHOUSE_DATA_DIR": str(root / "duck")}
    spark_env = {"FUNNELHOUSE_WAREHOUSE_KIND": "spark", "FUNNELHOUSE_DATA_DIR": str(root / "spark"),
                 "FUNNELHOUSE_SPARK_WAREHOUSE": str(root / "spark" / "warehouse")}
    duck = IngestOptions(inputs_dir=inputs, warehouse=root / "duck" / "warehouse.duckdb",
                         pipelines_dir=root / "duck" / "pipelines", hubspot_token=TOKEN)
    spark = IngestOptions(inputs_dir=inputs, pipelines_dir=root / "spark" / "pipelines", hubspot_token=TOKEN)
    emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()
    duck.hubspot_base_url = spark.hubspot_base_url = emulator.base_url
    runs = SimpleNamespace(root=root, duck={}, spark={}, loaded={})
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("FUNNELHOUSE_SETTLE_SECONDS", "0")
            for name in ("FUNNELHOUSE_WAREHOUSE", "FUNNELHOUSE_PIPELINES_DIR", "FUNNELHOUSE_INPUTS"):
                patch.delenv(name, raising=False)
            def both(step: str, names: tuple[str, ...] = SOURCES) -> None:
                runs.loaded[step] = _ingest("spark", spark_env, spark, patch, names)
                runs.spark[step] = spark_raw_views(SparkWarehouse(), names)
                _ingest("duckdb", duck_env, duck, patch, names)
                runs.duck[step] = duckdb_raw(duck.warehouse, names)

            for name, value in spark_env.items():
                patch.setenv(name, value)
            warehouse = SparkWarehouse()
            runs.describe = warehouse.describe()
            both("first")
            _edit_export(inputs)
            drop_deal_7_links(emulator)
            both("night")
            both("again")

            # a load killed after its files were written, before dlt wrote its _dlt_loads row
            spend = inputs / "spreadsheets" / "marketing_spend.csv"
            spend.write_text(spend.read_text(encoding="utf-8").replace('"9,000"', '"9,100"'), encoding="utf-8")

            def killed(self, load_id: str) -> None:
                raise OSError(f"killed before load {load_id} completed")

            with pytest.MonkeyPatch.context() as kill:
                kill.setattr(FilesystemClient, "complete_load", killed)
                with pytest.raises(Exception) as runs.killed_error:
                    _ingest("spark", spark_env, spark, patch, names=("spreadsheets",))
            folder = root / "spark" / "warehouse" / "raw" / "raw_spreadsheets" / "marketing_spend"
            runs.spend_files = sorted(path.name for path in folder.iterdir())
            runs.spark["killed"] = spark_raw_views(SparkWarehouse(), ("spreadsheets",))
            both("completed", ("spreadsheets",))
            runs.spend_files_after = sorted(path.name for path in folder.iterdir())
            runs.adapter = _adapter_facts(warehouse)
    finally:
        emulator.stop()
    return runs


def _adapter_facts(warehouse) -> SimpleNamespace:
    """What the Spark adapter answers, read once while the session is up."""
    with warehouse.connect() as connection:
        cursor = connection.execute("select input_name, rows_read from raw_spreadsheets.reconciliation "
                                    "where input_name = ? and status = ? order by rows_read", [EXPORT, "loaded"])
        many = connection.execute("select id from raw_hubspot.deals order by cast(id as int)")
        return SimpleNamespace(
            description=[d[:2] for d in cursor.description], fetchone=cursor.fetchone(), rest=cursor.fetchall(),
            fetchmany=many.fetchmany(3), after=many.fetchmany(2),
            frame=connection.execute("select count(*) as deals from raw_hubspot.deals").df().to_dict("records"),
            exists=(connection.table_exists("raw_hubspot", "deals"), connection.table_exists("raw_hubspot", "nope"),
                    connection.table_exists("no_such_schema", "deals")),
            no_schema=connection.tables("no_such_schema"),
            columns=connection.columns("raw_spreadsheets", "marketing_spend"),
            files_tables=connection.tables("raw_spreadsheets_files"),
            tuning=[connection.execute(f"set {key}").fetchall()[0][1] for key in TUNED],
        )


# --- ingestion on both kinds --------------------------------------------------------------------------------------

def test_first_load_views_equal_the_duckdb_raw_tables_row_for_row(spark_loads: SimpleNamespace) -> None:
    assert differences(spark_loads.duck["first"], spark_loads.spark["first"]) == []
    tables = counts(spark_loads.spark["first"])
    # 8 submissions read, one id twice with the same values: 7 rows, as dlt's merge leaves on DuckDB
    assert spark_loads.loaded["first"]["forms"].table_rows["form_submissions"] == 8
    assert tables["raw_forms.form_submissions"] == 7
    assert tables["raw_spreadsheets.export_deals"] == 3 and tables["raw_spreadsheets.quarantine"] == 7
    assert tables["raw_hubspot.deals"] == 12 and tables["raw_hubspot.deal_associations"] == 24
    assert tables["raw_hubspot.owners__teams"] == 4  # a nested table, current through its parent


def test_night_of_changes_equal_again(spark_loads: SimpleNamespace) -> None:
    night = spark_loads.spark["night"]
    assert differences(spark_loads.duck["night"], night) == []
    deals = night["raw_spreadsheets.export_deals"]
    ids = sorted(row[deals[0].index("deal_id")] for row in deals[1])
    assert ids == ["D-001", "D-002", "D-004"]  # D-005 gone (merge_key), D-004 loaded once its date was fixed
    quarantine = night["raw_spreadsheets.quarantine"]
    rows = {(r[quarantine[0].index("input_name")], r[quarantine[0].index("row_number")]) for r in quarantine[1]}
    assert (EXPORT, Decimal(5)) not in rows and (EXPORT, Decimal(4)) in rows and len(rows) == 6  # row 5 healed
    hubspot = spark_loads.spark["night"]["raw_hubspot.deals"]
    names = {r[hubspot[0].index("id")]: r[hubspot[0].index("dealname")] for r in hubspot[1]}
    assert names["7"] == "Globex (no links)" and len(names) == 12  # the newest row of deal 7 (primary key)
    links = night["raw_hubspot.deal_associations"]
    assert len(links[1]) == 22 and not [r for r in links[1] if r[links[0].index("deal_id")] == "7"]  # hard_delete
    assert all(r[links[0].index("no_associations")] is not True for r in links[1])  # markers never show


def entity_tables(tables: dict) -> dict:
    """Every table but the tallies (a run appends one row per input to `reconciliation`, also when unchanged)."""
    return {name: rows for name, rows in tables.items() if not name.endswith(".reconciliation")}


def test_a_run_with_nothing_new_changes_nothing(spark_loads: SimpleNamespace) -> None:
    assert entity_tables(spark_loads.spark["again"]) == entity_tables(spark_loads.spark["night"])
    assert differences(spark_loads.duck["again"], spark_loads.spark["again"]) == []
    tallies = spark_loads.spark["again"]["raw_forms.reconciliation"]
    assert len(tallies[1]) == 3 * len(spark_loads.spark["first"]["raw_forms.reconciliation"][1])


def test_a_killed_load_is_invisible_until_the_next_run_completes_it_once(spark_loads: SimpleNamespace) -> None:
    assert "killed before load" in str(spark_loads.killed_error.value)
    # its files were written (one more file in marketing_spend) but the views show the rows before it
    assert len(spark_loads.spend_files) == 2  # the first load's, the killed load's
    assert spark_loads.spark["killed"] == {name: rows for name, rows in spark_loads.spark["again"].items()
                                           if name.startswith("raw_spreadsheets.")}
    # the next run loads the pending package (no file written twice) and the views equal DuckDB's again
    assert spark_loads.spend_files_after == spark_loads.spend_files
    completed = spark_loads.spark["completed"]
    assert differences(entity_tables(spark_loads.duck["completed"]), entity_tables(completed)) == []
    spend = completed["raw_spreadsheets.marketing_spend"]
    assert len(spend[1]) == 4
    assert Decimal("9100.000000") in {r[spend[0].index("amount_cny")] for r in spend[1]}
    # the tallies: DuckDB's 4 runs of 4 inputs, and on Spark the killed run's 4 too, once
    duck_tallies = spark_loads.duck["completed"]["raw_spreadsheets.reconciliation"][1]
    assert len(duck_tallies) == 16 and len(completed["raw_spreadsheets.reconciliation"][1]) == 16 + 4


def test_the_spark_adapter_answers_as_the_contract_says(spark_loads: SimpleNamespace) -> None:
    facts = spark_loads.adapter
    assert facts.tuning == ["false", "false"]  # the session runs with the small-query tuning (below)
    assert facts.description == [("input_name", "string"), ("rows_read", "bigint")]
    assert facts.fetchone == (EXPORT, 5) and facts.rest == [(EXPORT, 6)]  # the file edited, as first read
    assert facts.fetchmany == [("5",), ("7",), ("11",)] and facts.after == [("20",), ("31",)]
    assert facts.frame == [{"deals": 12}]
    assert facts.exists == (True, False, False) and facts.no_schema == []
    assert ("amount_cny", "decimal(18,2)") in facts.columns and ("month", "date") in facts.columns
    assert "marketing_spend" in facts.files_tables and "_dlt_loads" in facts.files_tables
    assert spark_loads.describe.startswith("Spark warehouse ") and "(session, local[*])" in spark_loads.describe


# --- the view rules on a hand-made dataset ------------------------------------------------------------------------

HAND_SCHEMA = {
    "_dlt_loads": {"columns": {"load_id": {"data_type": "text"}, "schema_name": {"data_type": "text"},
                               "status": {"data_type": "bigint"}, "inserted_at": {"data_type": "timestamp"}}},
    "deals": {"write_disposition": "merge", "columns": {
        "id": {"data_type": "text", "primary_key": True}, "name": {"data_type": "text"},
        "gone": {"data_type": "bool", "hard_delete": True}, "_dlt_id": {"data_type": "text"}}},
    "deals__tags": {"parent": "deals", "columns": {
        "tag": {"data_type": "text"}, "_dlt_parent_id": {"data_type": "text"}, "_dlt_id": {"data_type": "text"}}},
    "links": {"write_disposition": "merge", "columns": {
        "deal_id": {"data_type": "text", "merge_key": True}, "to_id": {"data_type": "text"}}},
    "quarantine": {"write_disposition": "merge", "columns": {
        "input_name": {"data_type": "text", "primary_key": True},
        "row_number": {"data_type": "bigint", "primary_key": True}, "reason": {"data_type": "text"}}},
    "reconciliation": {"write_disposition": "append", "columns": {
        "input_name": {"data_type": "text"}, "input_kind": {"data_type": "text"}, "status": {"data_type": "text"}}},
    "declared_only": {"write_disposition": "merge", "columns": {"x": {"name": "x"}}},
}
# three loads: 1 and 2 completed, 3 killed before its _dlt_loads row
HAND_FILES = {
    "deals": {"1700000001.1": [("1", "one", None, "a"), ("2", "two", None, "b"), ("3", "three", None, "c")],
              "1700000002.25": [("1", "one v2", None, "d"), ("2", None, True, "e")],
              "1700000003.3": [("3", "three v3", None, "f")]},
    "deals__tags": {"1700000001.1": [("x", "a", "t1"), ("y", "b", "t2"), ("z", "c", "t3")],
                    "1700000002.25": [("w", "d", "t4")]},
    "links": {"1700000001.1": [("1", "c1"), ("1", "c2"), ("2", "c3")], "1700000002.25": [("1", "c9")]},
    "quarantine": {"1700000001.1": [("a.csv", 2, "bad"), ("a.csv", 3, "bad"), ("b.csv", 4, "bad"),
                                    ("api", 9, "bad")],
                   "1700000002.25": [("a.csv", 3, "still bad")]},
    "reconciliation": {"1700000001.1": [("a.csv", "file", "loaded"), ("b.csv", "file", "loaded")],
                       "1700000002.25": [("a.csv", "file", "loaded"), ("b.csv", "file", "unchanged"),
                                         ("api", "api", "loaded")],
                       "1700000003.3": [("b.csv", "file", "loaded")]},
}


@pytest.fixture(scope="module")
def hand_views(spark_jvm: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """The hand-made dataset `raw_hand` written as dlt would and read through its views."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from funnelhouse.warehouse.spark_session import spark_session

    raw = tmp_path_factory.mktemp("hand") / "raw"
    for table, loads in HAND_FILES.items():
        columns = [c for c in HAND_SCHEMA[table]["columns"]]
        (raw / "raw_hand" / table).mkdir(parents=True)
        for load_id, rows in loads.items():
            data = {c: [row[i] for row in rows] for i, c in enumerate(columns)}
            types = {"row_number": pa.int64(), "gone": pa.bool_()}
            arrays = [pa.array(data[c], type=types.get(c, pa.string())) for c in columns]
            pq.write_table(pa.table(arrays, names=columns), raw / "raw_hand" / table / f"{load_id}.abc123.parquet")
    (raw / "raw_hand" / "_dlt_loads").mkdir()
    for load_id in ("1700000001.1", "1700000002.25"):
        line = {"load_id": load_id, "schema_name": "hand", "status": 0, "inserted_at": "2025-01-01T00:00:00+00:00"}
        (raw / "raw_hand" / "_dlt_loads" / f"hand__{load_id}.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FUNNELHOUSE_DATA_DIR", str(spark_jvm / "spark"))
        patch.setenv("FUNNELHOUSE_SPARK_WAREHOUSE", str(spark_jvm / "spark" / "warehouse"))
        session = spark_session()
        for _ in range(2):  # registration is idempotent
            for statement in spark_raw.dataset_sql(HAND_SCHEMA, "raw_hand", str(raw)):
                session.sql(statement)
        views = {table: sorted(tuple(row) for row in session.sql(f"select * from raw_hand.{table}").collect())
                 for table in ("deals", "deals__tags", "links", "quarantine", "reconciliation")}
        views["tables"] = sorted(r.tableName for r in session.sql("show tables in raw_hand").collect())
    shutil.rmtree(raw)
    return views


def test_view_rules_on_a_hand_made_dataset(hand_views: dict[str, list[tuple]]) -> None:
    # primary key: newest load per key; deal 2's newest row is a delete marker; load 3 never completed
    assert hand_views["deals"] == [("1", "one v2", None, "d"), ("3", "three", None, "c")]
    # nested: the rows of current parents (deal 1's newest row d, deal 3's row c)
    assert hand_views["deals__tags"] == [("w", "d", "t4"), ("z", "c", "t3")]
    # merge_key: deal 1's links are those of its newest load only; deal 2's stay
    assert hand_views["links"] == [("1", "c9"), ("2", "c3")]
    # quarantine: a.csv read again in load 2 heals its rows of load 1 (row 3 still bad, anew); b.csv unchanged in
    # load 2 keeps its row (its re-read in load 3 never completed); the API input's row stays
    assert hand_views["quarantine"] == [("a.csv", 3, "still bad"), ("api", 9, "bad"), ("b.csv", 4, "bad")]
    assert len(hand_views["reconciliation"]) == 5  # append: every row of the completed loads
    assert "declared_only" not in hand_views["tables"] and "_dlt_loads" in hand_views["tables"]


def test_the_sql_of_a_view_and_of_its_external_table() -> None:
    tables = {t.name: t for t in spark_raw.raw_tables(HAND_SCHEMA)}
    assert [t.name for t in spark_raw.raw_tables(HAND_SCHEMA)] == [
        "_dlt_loads", "deals", "links", "quarantine", "reconciliation", "deals__tags"]
    assert tables["deals__tags"].write_disposition == "merge"  # inherited from its parent
    assert spark_raw.table_sql(tables["links"], "raw_hand", "/w/raw") == [
        "DROP TABLE IF EXISTS `raw_hand_files`.`links`",
        "CREATE TABLE `raw_hand_files`.`links` (`deal_id` string, `to_id` string) USING parquet "
        "OPTIONS (mergeSchema 'true') LOCATION 'file:///w/raw/raw_hand/links'",
    ]
    assert spark_raw.view_sql(tables["links"], "raw_hand", tables) == (
        "CREATE OR REPLACE VIEW `raw_hand`.`links` AS WITH "
        "loaded AS (SELECT load_id FROM `raw_hand_files`.`_dlt_loads` WHERE status = 0), "
        "landed AS (SELECT `deal_id`, `to_id`, substring_index(_metadata.file_name, '.', 2) AS __load_id "
        "FROM `raw_hand_files`.`links`), "
        "completed AS (SELECT * FROM landed WHERE __load_id IN (SELECT load_id FROM loaded)), "
        "ranked AS (SELECT *, max(__load_id) OVER (PARTITION BY `deal_id`) AS __newest_for_merge_key "
        "FROM completed) "
        "SELECT `deal_id`, `to_id` FROM ranked WHERE __load_id = __newest_for_merge_key")
    assert spark_raw.table_location("s3://bucket/wh/raw/", "raw_x", "t") == "s3://bucket/wh/raw/raw_x/t"
    assert spark_raw.spark_type({"data_type": "decimal"}) == "decimal(38,9)"
    assert spark_raw.spark_type({"data_type": "decimal", "precision": 18, "scale": 2}) == "decimal(18,2)"
    assert spark_raw.spark_type({"data_type": "timestamp", "timezone": False}) == "timestamp_ntz"


# --- the CRM sources (Salesforce, Pipedrive, Zoho, YAML CRMs) -----------------------------------------------------

CRMS = ("salesforce", "pipedrive", "zoho", "fxiaoke", "acme")


@pytest.fixture(scope="module")
def crm_loads(spark_jvm: Path) -> SimpleNamespace:
    """The CRM fixtures' records (tests/crm_raw_fixture*.py: each source's own rows, tallies and quarantine, through
    run_source) loaded with kind spark and registered, and into DuckDB."""
    from crm_raw_fixture import load_crm_raw
    from crm_raw_fixture_2 import load_crm_raw_2
    from funnelhouse.warehouse.spark import SparkWarehouse
    from ingestion.pipeline import make_pipeline

    root = spark_jvm / "crms"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FUNNELHOUSE_DATA_DIR", str(spark_jvm / "spark"))
        patch.setenv("FUNNELHOUSE_SPARK_WAREHOUSE", str(spark_jvm / "spark" / "warehouse"))
        patch.setenv("FUNNELHOUSE_WAREHOUSE_KIND", "duckdb")
        load_crm_raw(root / "warehouse.duckdb", root / "duck_pipelines")
        load_crm_raw_2(root / "warehouse.duckdb", root / "duck_pipelines")
        patch.setenv("FUNNELHOUSE_WAREHOUSE_KIND", "spark")
        loaded = {**load_crm_raw(None, root / "spark_pipelines", kind="spark"),
                  **load_crm_raw_2(None, root / "spark_pipelines", kind="spark")}
        registered = {name: spark_raw.register(make_pipeline(name, pipelines_dir=root / "spark_pipelines"))
                      for name in CRMS}
        views = spark_raw_views(SparkWarehouse(), CRMS)
    return SimpleNamespace(duck=duckdb_raw(root / "warehouse.duckdb", CRMS), spark=views, loaded=loaded,
                           registered=registered)


def test_the_crm_sources_load_the_same_rows_on_spark(crm_loads: SimpleNamespace) -> None:
    assert differences(crm_loads.duck, crm_loads.spark) == []
    assert sorted({name.split(".")[0] for name in crm_loads.spark}) == sorted(f"raw_{name}" for name in CRMS)
    assert all(rows for name, (_, rows) in crm_loads.spark.items() if name.endswith(".reconciliation"))
    loaded = {name: summary.rows_loaded for name, summary in crm_loads.loaded.items()}
    assert all(loaded.values()), loaded


def test_the_yaml_crm_staging_reads_each_crm_once_on_spark(crm_loads: SimpleNamespace, spark_jvm: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """dbt's YAML-CRM staging finds its CRMs by their crm_spec table: on Spark each dataset's raw_<name>, never
    the raw_<name>_files database beside it (which holds every load's rows)."""
    from support.inputs import copy_project

    from funnelhouse.transform import DBT_PROJECT_DIR, dbt_build
    from funnelhouse.warehouse.spark import SparkWarehouse

    monkeypatch.setenv("FUNNELHOUSE_DATA_DIR", str(spark_jvm / "spark"))
    monkeypatch.setenv("FUNNELHOUSE_SPARK_WAREHOUSE", str(spark_jvm / "spark" / "warehouse"))
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_KIND", "spark")
    project = copy_project(DBT_PROJECT_DIR, spark_jvm / "rest_crm_project")
    statuses = dbt_build(Path("not_used.duckdb"), as_of="2026-09-30", target="spark", project_dir=project,
                         select="stg_rest_crm__deals")
    assert statuses["model.funnelhouse.stg_rest_crm__deals"] == "success"
    with SparkWarehouse().connect() as connection:
        staged = connection.execute(
            "select source_name, count(*) from staging.stg_rest_crm__deals group by source_name order by 1").fetchall()
    raw = {name: len(crm_loads.spark[f"raw_{name}.deals"][1]) for name in ("acme", "fxiaoke")}
    assert raw == {"acme": 1, "fxiaoke": 3}
    # once each: the raw_<name>_files databases hold a crm_spec table too, and their rows would be counted twice
    assert staged == [("acme", 1), ("fxiaoke", 3)]


def test_a_local_session_is_tuned_for_many_small_queries_unless_told_not_to(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from funnelhouse.warehouse.spark_session import dbt_env, spark_conf

    monkeypatch.setenv("FUNNELHOUSE_DATA_DIR", str(tmp_path))
    for name in ("FUNNELHOUSE_SPARK_METHOD", "FUNNELHOUSE_SPARK_METASTORE", "FUNNELHOUSE_SPARK_SMALL_QUERIES"):
        monkeypatch.delenv(name, raising=False)
    derby = f"-Dderby.system.home={tmp_path / 'spark_metastore'}"
    conf, env = spark_conf(), dbt_env()
    assert [conf[key] for key in TUNED] == ["false", "false"]
    assert conf["spark.driver.extraJavaOptions"] == (
        f"{derby} -XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=20000 "
        "-XX:Tier4CompileThreshold=60000 -XX:Tier4BackEdgeThreshold=400000")
    # dbt's own session (profiles.yml) gets the same settings
    assert (env["FUNNELHOUSE_SPARK_ADAPTIVE"], env["FUNNELHOUSE_SPARK_WHOLE_STAGE_CODEGEN"],
            env["FUNNELHOUSE_SPARK_JAVA_OPTIONS"]) == ("false", "false", conf["spark.driver.extraJavaOptions"])
    monkeypatch.setenv("FUNNELHOUSE_SPARK_SMALL_QUERIES", "0")  # Spark's defaults: big data on one machine
    conf, env = spark_conf(), dbt_env()
    assert (conf["spark.sql.adaptive.enabled"], "spark.sql.codegen.wholeStage" in conf) == ("true", False)
    assert conf["spark.driver.extraJavaOptions"] == derby
    assert (env["FUNNELHOUSE_SPARK_ADAPTIVE"], env["FUNNELHOUSE_SPARK_WHOLE_STAGE_CODEGEN"]) == ("true", "true")
    monkeypatch.setenv("FUNNELHOUSE_SPARK_SMALL_QUERIES", "yes")
    with pytest.raises(ValueError) as raised:
        spark_conf()
    assert str(raised.value) == "FUNNELHOUSE_SPARK_SMALL_QUERIES must be 1 or 0, got 'yes'"
    monkeypatch.setenv("FUNNELHOUSE_SPARK_SMALL_QUERIES", "1")
    monkeypatch.setenv("FUNNELHOUSE_SPARK_METHOD", "thrift")  # a server keeps its own settings
    assert "spark.driver.extraJavaOptions" not in spark_conf()
    assert spark_conf()["spark.sql.adaptive.enabled"] == "true"
