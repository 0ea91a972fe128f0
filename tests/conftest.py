"""Shared pytest fixtures: an isolated data folder and warehouse per test, fixture paths."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# An xdist worker's __main__ has neither __spec__ nor __file__, which pyspark (installed for the spark kind) takes
# for a doctest run: Great Expectations' import of pyspark.sql.connect then calls sys.exit(0) inside the worker,
# failing whatever step imported GX first. Give the worker's __main__ a name.
if getattr(sys.modules["__main__"], "__spec__", None) is None and not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = "<pytest-xdist worker>"
# The suite runs on pytest-xdist, one test module per worker at a time (pyproject: --dist loadfile): the modules that
# take minutes go first, the longest first, so that no worker starts one of them while the others run out of work.
# Measured in the last full xdist run (setup = the module's fixture build): test_crash 407 s,
# test_incremental_equals_full 168 s, test_orchestration 152 s, test_demo 143 s, test_spreadsheet_shapes 140 s;
# test_spark_refresh (opt-in) 441-707 s beside them.
LONGEST_FIRST = ("test_spark_refresh", "test_crash", "test_spark_raw", "test_postgres_refresh", "test_dbt_selection",
                 "test_orchestration", "test_incremental_equals_full", "test_service", "test_serving", "test_demo",
                 "test_dbt_models", "test_bench", "test_spreadsheet_shapes")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the modules of LONGEST_FIRST first, in that order; the others keep their order after them."""
    rank = {name: number for number, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder, warehouse and dlt working dir under tmp_path."""
    data = tmp_path / "data"
    monkeypatch.setenv("FUNNELHOUSE_DATA_DIR", str(data))
    for name in ("FUNNELHOUSE_WAREHOUSE", "FUNNELHOUSE_INPUTS", "FUNNELHOUSE_PIPELINES_DIR"):
        monkeypatch.delenv(name, raising=False)
    # files written by a test just before it ingests are complete: read them at once (the settle wait is tested
    # in test_bad_input_catalogue with its own value)
    monkeypatch.setenv("FUNNELHOUSE_SETTLE_SECONDS", "0")
    return data


@pytest.fixture(autouse=True)
def no_log_handlers_on_closed_streams():
    """A logger set up during a CliRunner call (dlt's, Dagster's) keeps that call's stream, closed once it returns:
    later records would print '--- Logging error ---' with a traceback into the next test's output. Drop them."""
    yield
    loggers = [logging.getLogger(), *(logger for logger in logging.Logger.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    for logger in loggers:
        for handler in list(logger.handlers):
            if getattr(getattr(handler, "stream", None), "closed", False):
                logger.removeHandler(handler)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def fixture_build(tmp_path_factory: pytest.TempPathFactory):
    """The fixtures loaded through the real ingestion and the whole dbt project built on them as of 2025-06-30,
    once per session (shared read-only: a test that changes it works on a copy)."""
    from support.inputs import build_fixture_warehouse

    return build_fixture_warehouse(tmp_path_factory.mktemp("fixture_build"))
