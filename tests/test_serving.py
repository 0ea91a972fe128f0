"""Serving the marts to BI tools: the published copy survives a reader holding it during a refresh, opens in
DuckDB 1.5, Parquet per mart, and a failed blocking check publishes nothing."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from support.inputs import FIXTURE_AS_OF, TOKEN, copy_fixture_inputs

from emulators.hubspot.server import HubSpotEmulator
from orchestration.refresh import run_refresh
from orchestration.resources import FunnelhouseResource

LATER_AS_OF = "2025-07-31"
STALE_DAYS = "select sum(days_in_stage) from marts.mart_stale_deals"

HOLDER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
for line in sys.stdin:
    print(connection.execute(line).fetchone()[0], flush=True)
"""


class Holder:
    """Another process holding a read-only connection to a DuckDB file, as a BI tool does; answers queries."""

    def __init__(self, python: str, path: Path) -> None:
        self.process = subprocess.Popen([python, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def ask(self, sql: str) -> str:
        self.process.stdin.write(sql + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read(path: Path, sql: str) -> object:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The fixtures refreshed through Dagster as of 2025-06-30 (published), then again as of 2025-07-31 while
    another process holds the published file open."""
    root = tmp_path_factory.mktemp("serving")
    inputs = copy_fixture_inputs(root)
    emulator = HubSpotEmulator(inputs / "crm", token=TOKEN).start()

    def resource(as_of: str) -> FunnelhouseResource:
        return FunnelhouseResource(warehouse=str(root / "warehouse.duckdb"), inputs_dir=str(inputs), as_of=as_of,
                                   hubspot_base_url=emulator.base_url, hubspot_token=TOKEN)

    try:
        first = run_refresh(resource(FIXTURE_AS_OF), full_refresh=True, log_file=root / "first.log")
        serving = resource(FIXTURE_AS_OF).serving_file()
        holder = Holder(sys.executable, serving)
        held_before = holder.ask(STALE_DAYS)
        second = run_refresh(resource(LATER_AS_OF), full_refresh=True, log_file=root / "second.log")
        held_after = holder.ask(STALE_DAYS)
        holder.close()
    finally:
        emulator.stop()
    return SimpleNamespace(root=root, inputs=inputs, first=first, second=second, serving=serving,
                           parquet=resource(FIXTURE_AS_OF).parquet_folder(), held_before=held_before,
                           held_after=held_after, resource=resource)


def test_a_refresh_succeeds_while_a_bi_tool_holds_the_serving_file(served: SimpleNamespace) -> None:
    assert served.first.success, served.first.error
    assert served.second.success, served.second.error
    assert {"serving/funnelhouse_serving", "serving/parquet_marts"} <= set(served.second.materialized)
    # 8 open deals, each a month (31 days) longer in its stage as of 07-31 than as of 06-30. As of 06-30, days in
    # stage: hubspot:7 need since 2024-01-20 527, 11 and 150 since 2024-03-01 486, 64 since 03-10 477, 77 in
    # negotiation since 02-20 (contractsent on 03-05 is the same stage) 496, the trackers 云帆 and 星河 since
    # 2024-03-05 482 each, D-002 since 2025-03-05 117: 3553
    assert int(served.held_before) == 3553
    assert served.held_after == served.held_before  # the held connection still reads the old file
    assert read(served.serving, STALE_DAYS) == int(served.held_before) + 8 * 31  # a new one reads the new numbers
    assert read(served.root / "warehouse.duckdb", STALE_DAYS) == read(served.serving, STALE_DAYS)


def test_serving_file_holds_the_bi_marts_only(served: SimpleNamespace) -> None:
    with duckdb.connect(str(served.serving), read_only=True) as connection:
        tables = {row for row in connection.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
    assert {schema for schema, _ in tables} == {"marts"}
    names = {name for _, name in tables}
    assert {"mart_funnel_conversion", "fct_deals", "dim_stage", "mart_forecast"} <= names
    assert not any(name.startswith("int_") for name in names)
    with duckdb.connect(str(served.root / "warehouse.duckdb"), read_only=True) as warehouse:
        expected = {row[0] for row in warehouse.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_name not like 'int\\_%' escape '\\'").fetchall()}
    assert names == expected  # every mart and dim of the warehouse, by name


def test_parquet_has_one_folder_per_mart_with_the_same_rows(served: SimpleNamespace) -> None:
    folders = sorted(p.name for p in served.parquet.iterdir())
    with duckdb.connect(str(served.serving), read_only=True) as connection:
        names = sorted(row[0] for row in connection.execute(
            "select table_name from information_schema.tables").fetchall())
        assert folders == names
        # the same rows, not only as many (marts without text a spreadsheet would read as a formula)
        for name in ("mart_funnel_conversion", "fct_deals", "mart_stale_deals"):
            file = served.parquet / name / f"{name}.parquet"
            parquet = connection.execute(f"select * from read_parquet('{file}')").fetchall()
            table = connection.execute(f"select * from marts.{name}").fetchall()
            assert len(parquet) > 0 and sorted(parquet, key=repr) == sorted(table, key=repr), name
    assert not list(served.parquet.rglob("*.tmp"))


def test_the_serving_file_opens_in_duckdb_1_5(served: SimpleNamespace) -> None:
    python = os.environ.get("FUNNELHOUSE_DUCKDB15_PYTHON")
    if not python:
        pytest.skip("run through `python3 run.py test`, which prepares .venv-duckdb15 (DuckDB 1.5)")
    script = (
        "import sys, duckdb; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(duckdb.__version__); print(c.execute(\"select string_agg(stage_code || '=' || reached, ',' "
        "order by stage_order) from marts.mart_funnel_conversion where segment_type = 'overall'\").fetchone()[0])"
    )
    completed = subprocess.run([python, "-c", script, str(served.serving)], capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    version, funnel = completed.stdout.split()
    assert version.startswith("1.5.")
    # the fixtures' funnel (tests/test_dbt_models.py::test_overall_funnel): 13 deals reached lead ... 2 lost
    assert funnel == "lead=13,interest=12,need=11,proposal=7,negotiation=6,won=3,lost=2"


def test_a_failed_blocking_check_publishes_nothing(served: SimpleNamespace, tmp_path: Path) -> None:
    before = sha256(served.serving)
    parquet_before = {p: sha256(p) for p in served.parquet.rglob("*.parquet")}
    warehouse = served.root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("update raw_hubspot.deals set amount = -1000 where id = '5'")
    emulator = HubSpotEmulator(served.inputs / "crm", token=TOKEN).start()
    try:
        resource = FunnelhouseResource(warehouse=str(warehouse), inputs_dir=str(served.inputs), as_of=LATER_AS_OF,
                                       hubspot_base_url=emulator.base_url, hubspot_token=TOKEN)
        outcome = run_refresh(resource, log_file=tmp_path / "blocked.log")
    finally:
        emulator.stop()
    assert not outcome.success
    assert {"serving/funnelhouse_serving", "serving/parquet_marts"} <= set(outcome.skipped)
    assert sha256(served.serving) == before
    assert {p: sha256(p) for p in served.parquet.rglob("*.parquet")} == parquet_before
