"""The dbt project on Spark (dbt-spark, method session, in this process): the raw tables of the DuckDB fixture
build copied to Spark, the whole project built there (unit tests included), every mart equal row by row to the
DuckDB build's, again after a second (incremental) build; nothing of Spark's written into the working
directory.

One Spark session (one JVM, one Derby metastore) for the whole module, stopped at its end. Skipped without
Java, failed instead when env FUNNELHOUSE_REQUIRE_SPARK=1 (CI).
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from support.inputs import FIXTURE_AS_OF, copy_project
from support.marts import MARTS, differences, schema_rows
from support.spark import SparkConnection, copy_raw_to_spark, require_spark

from funnelhouse.transform import DBT_PROJECT_DIR, dbt_build

SPARK_LITTER = ("metastore_db", "derby.log", "spark-warehouse")
# the module's fixture builds the project twice on Spark: 18 + 4.5 min on a 2-core machine at load 7-12 (the
# DuckDB build of the same fixture: 25 s), past the suite's 600 s per test
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> SimpleNamespace:
    """The fixture build's raw tables in Spark and the project built there twice as of 2025-06-30: the marts
    after the first (full) build and after the second (incremental) one."""
    require_spark()
    from funnelhouse.warehouse.spark_session import spark_session, stop_session

    duckdb_build = request.getfixturevalue("fixture_build")  # built with DuckDB before anything starts Spark
    root = tmp_path_factory.mktemp("spark_dbt")
    workdir = root / "cwd"
    workdir.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("FUNNELHOUSE_DATA_DIR", str(root / "data"))
        for name in ("FUNNELHOUSE_SPARK_WAREHOUSE", "FUNNELHOUSE_SPARK_METASTORE", "FUNNELHOUSE_SPARK_METHOD",
                     "FUNNELHOUSE_SPARK_FILE_FORMAT"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.chdir(workdir)  # where a session without the settings would leave its metastore
        try:
            spark = spark_session()
            copied = copy_raw_to_spark(duckdb_build.warehouse, root / "raw", spark)
            project = copy_project(DBT_PROJECT_DIR, root / "dbt_project")
            seconds = []
            started = time.monotonic()
            statuses = dbt_build(root / "not_used.duckdb", as_of=FIXTURE_AS_OF, project_dir=project,
                                 target="spark", unit_tests=True)
            seconds.append(time.monotonic() - started)
            first = schema_rows(SparkConnection(spark), MARTS)
            started = time.monotonic()
            # the models again, and the data tests dbt's indirect selection adds (no unit tests): incremental
            second_statuses = dbt_build(root / "not_used.duckdb", as_of=FIXTURE_AS_OF, project_dir=project,
                                        target="spark", select="resource_type:model")
            seconds.append(time.monotonic() - started)
            second = schema_rows(SparkConnection(spark), MARTS)
            partitions = [row[0] for row in spark.sql(
                f"show partitions {MARTS}.fct_pipeline_daily_snapshot").collect()]
        finally:
            stop_session()
    print(f"\ndbt build on Spark: {seconds[0]:.0f} s (unit tests included), "
          f"its models again: {seconds[1]:.0f} s")
    with duckdb.connect(str(duckdb_build.warehouse), read_only=True) as connection:
        duck = schema_rows(connection, MARTS)
        duck_days = connection.execute(
            f"select count(distinct snapshot_date) from {MARTS}.fct_pipeline_daily_snapshot").fetchone()[0]
    return SimpleNamespace(root=root, workdir=workdir, project=project, copied=copied, statuses=statuses,
                           second_statuses=second_statuses, first=first, second=second, duck=duck,
                           duck_statuses=duckdb_build.statuses, partitions=partitions, duck_days=duck_days)


def test_the_raw_tables_reach_spark(spark_build: SimpleNamespace) -> None:
    schemas = Counter(name.split(".")[0] for name in spark_build.copied)
    assert set(schemas) == {"raw_forms", "raw_spreadsheets", "raw_hubspot"}
    assert spark_build.copied["raw_hubspot.deals"] > 0


def test_dbt_build_on_spark_is_green_unit_tests_included(spark_build: SimpleNamespace) -> None:
    statuses = spark_build.statuses
    failed = {node: status for node, status in statuses.items() if status not in ("success", "pass", "warn")}
    assert not failed
    manifest = json.loads((spark_build.project / "target" / "manifest.json").read_text(encoding="utf-8"))
    unit_tests = {node: status for node, status in statuses.items() if node.startswith("unit_test.")}
    assert len(unit_tests) == len(manifest["unit_tests"]) > 20
    assert set(unit_tests.values()) == {"pass"}
    # the same nodes as the DuckDB build, with the same outcome: the one warning is the partner pipeline's
    # stages missing from the funnel map
    assert statuses == spark_build.duck_statuses
    assert [node for node, status in statuses.items() if status == "warn"] == [
        "test.funnelhouse.warn_source_stages_not_in_funnel_map"
    ]


def test_spark_marts_equal_the_duckdb_marts_row_for_row(spark_build: SimpleNamespace) -> None:
    manifest = json.loads((spark_build.project / "target" / "manifest.json").read_text(encoding="utf-8"))
    marts = sorted(node["alias"] for node in manifest["nodes"].values()
                   if node["resource_type"] == "model" and node["schema"] == MARTS)
    assert sorted(spark_build.first) == sorted(spark_build.duck) == marts
    different = differences(spark_build.duck, spark_build.first, ("duckdb", "spark"))
    assert not different, "\n".join(different)


def test_a_second_incremental_build_leaves_every_mart_equal(spark_build: SimpleNamespace) -> None:
    manifest = json.loads((spark_build.project / "target" / "manifest.json").read_text(encoding="utf-8"))
    models = [node for node in manifest["nodes"] if node.startswith("model.")]
    built = {node: status for node, status in spark_build.second_statuses.items() if node.startswith("model.")}
    assert sorted(built) == sorted(models)
    assert set(built.values()) == {"success"}
    different = differences(spark_build.duck, spark_build.second, ("duckdb", "spark, built again"))
    assert not different, "\n".join(different)
    # the daily snapshot is stored by day partitions, one per day of the DuckDB build's snapshot
    assert len(spark_build.partitions) == spark_build.duck_days > 100
    assert spark_build.partitions[0].startswith("snapshot_date=")


def test_spark_writes_no_metastore_or_tables_into_the_working_directory(spark_build: SimpleNamespace) -> None:
    assert [name for name in SPARK_LITTER if (spark_build.workdir / name).exists()] == []
    assert [name for name in SPARK_LITTER if (Path.cwd() / name).exists()] == []
    data = spark_build.root / "data"
    assert (data / "spark_metastore" / "metastore_db").is_dir()
    assert (data / "spark" / "tables" / "marts.db" / "fct_deals").is_dir()
