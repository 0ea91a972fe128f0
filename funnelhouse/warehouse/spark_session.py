"""The one Spark configuration: the local SparkSession of this process and dbt-spark's (profiles.yml) read it.

A `session` build starts a JVM in the process that runs dbt; its metastore is Derby, which one JVM opens at a time,
so a process stops its session (stop_session) before another one (dbt as a subprocess, a test) starts its own."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from funnelhouse import settings
from ingestion.common.errors import FunnelhouseError

SHUFFLE_PARTITIONS_ENV = "FUNNELHOUSE_SPARK_SHUFFLE_PARTITIONS"
# A dbt build is hundreds of short queries on little data (a second or less each): on a local session the JVM
# spent half its CPU in its C2 compiler and in compiling each query's generated code, which little data never pays
# back. Measured on the test fixtures' build (584 nodes, 2 cores): 284 JVM CPU-seconds with Spark's defaults,
# 196-228 with these. FUNNELHOUSE_SPARK_SMALL_QUERIES=0 keeps Spark's defaults (big data on one machine).
SMALL_QUERY_CONF = {
    "spark.sql.adaptive.enabled": "false",  # re-planning at runtime pays off for big shuffles only
    "spark.sql.codegen.wholeStage": "false",  # no Java source per query for Janino and the JIT to compile
}
SMALL_QUERY_JAVA = [  # C2 compiles what stays hot over many queries, not the planner paths of each one
    "-XX:Tier4InvocationThreshold=50000", "-XX:Tier4MinInvocationThreshold=20000",
    "-XX:Tier4CompileThreshold=60000", "-XX:Tier4BackEdgeThreshold=400000",
]
JAVA_HINT = "Spark needs Java 17: install it (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"


def spark_conf(spark: settings.SparkSettings | None = None) -> dict[str, str]:
    """Spark settings for every session of funnelhouse: where tables and the metastore live, UTC, few shuffle
    partitions (the default 200 makes each small query of a dbt build schedule 200 tasks), no UI, ANSI off (as
    dbt-spark sets it: a failed cast gives NULL, the same as the other kinds' safe casts) and, on a local session,
    the small-query tuning (SMALL_QUERY_CONF, SMALL_QUERY_JAVA) unless FUNNELHOUSE_SPARK_SMALL_QUERIES=0."""
    spark = spark or settings.spark_settings()
    conf = {
        "spark.sql.warehouse.dir": spark.tables_url,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": os.environ.get(SHUFFLE_PARTITIONS_ENV, "").strip() or "4",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.ansi.enabled": "false",
        "spark.ui.enabled": "false",
        # no progress bars on the console: they run into the lines of dbt's JSON log that dagster-dbt parses
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.legacy.createHiveTableByDefault": "false",
    }
    if spark.method == "session":
        conf["spark.master"] = spark.master
        # Derby (the local metastore) writes metastore_db and derby.log into derby.system.home, not the cwd
        java = [f"-Dderby.system.home={spark.metastore_dir}"]
        if spark.small_queries:
            conf.update(SMALL_QUERY_CONF)
            java += SMALL_QUERY_JAVA
        conf["spark.driver.extraJavaOptions"] = " ".join(java)
    return conf


def dbt_env(spark: settings.SparkSettings | None = None) -> dict[str, str]:
    """The variables dbt_project/profiles.yml reads for its spark output."""
    spark = spark or settings.spark_settings()
    conf = spark_conf(spark)
    return {
        "FUNNELHOUSE_SPARK_METHOD": spark.method,
        "FUNNELHOUSE_SPARK_HOST": spark.host,
        "FUNNELHOUSE_SPARK_PORT": str(spark.port),
        "FUNNELHOUSE_SPARK_MASTER": spark.master,
        "FUNNELHOUSE_SPARK_TABLES": conf["spark.sql.warehouse.dir"],
        "FUNNELHOUSE_SPARK_SHUFFLE_PARTITIONS": conf["spark.sql.shuffle.partitions"],
        "FUNNELHOUSE_SPARK_ADAPTIVE": conf["spark.sql.adaptive.enabled"],
        "FUNNELHOUSE_SPARK_WHOLE_STAGE_CODEGEN": conf.get("spark.sql.codegen.wholeStage", "true"),
        "FUNNELHOUSE_SPARK_JAVA_OPTIONS": conf.get("spark.driver.extraJavaOptions", ""),
        "FUNNELHOUSE_SPARK_FILE_FORMAT": spark.file_format,
    }


def require_java() -> None:
    """FunnelhouseError (one line, what to do) when no Java runtime is found for a local Spark session."""
    home = os.environ.get("JAVA_HOME", "").strip()
    if home and (Path(home) / "bin" / "java").exists():
        return
    if shutil.which("java"):
        return
    raise FunnelhouseError(JAVA_HINT)


def spark_session(spark: settings.SparkSettings | None = None):
    """This process's SparkSession (started on first use, with spark_conf and Hive support: dbt's tables and the
    raw tables are in the metastore)."""
    from pyspark.sql import SparkSession

    spark = spark or settings.spark_settings()
    if spark.method != "session":
        raise FunnelhouseError("FUNNELHOUSE_SPARK_METHOD=thrift: funnelhouse reads the warehouse through the Thrift "
                               "server, not a local session")
    require_java()
    if spark.is_local:
        Path(spark.metastore_dir).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.appName("funnelhouse").enableHiveSupport()
    for key, value in spark_conf(spark).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")  # no WARN lines of Spark's between the command's own
    quiet_query_errors()
    return session


def quiet_query_errors() -> None:
    """pyspark logs every failed query on stderr, with the JVM's whole stack trace, before raising it; funnelhouse
    says what failed in one line (FunnelhouseError), so those two loggers stay silent."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


def stop_session() -> None:
    """Stop this process's SparkSession and its JVM, so that another process can open the Derby metastore. The
    next spark_session() starts a new JVM."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    process = getattr(gateway, "proc", None)  # the JVM pyspark launched (spark-submit)
    try:
        gateway.shutdown()
    finally:
        SparkContext._gateway = None
        SparkContext._jvm = None
        if process is not None and process.poll() is None:
            process.terminate()  # closing the gateway leaves the JVM, and Derby's lock, alive for a while
            try:
                process.wait(timeout=30)
            except Exception:  # noqa: BLE001 - still alive: make sure
                process.kill()
                process.wait(timeout=30)
