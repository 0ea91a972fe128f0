"""Loads that fail or are killed, fast: a package that can never load is reported with table, file and row and
cleared; the tally is written when a run fails before or while loading, and a killed load is tallied on the re-run."""
from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import pytest

from ingestion.common.errors import FunnelhouseError
from ingestion.common.reconcile import Reconciliation
from ingestion.packages import PoisonedLoadError
from ingestion.pipeline import make_pipeline, run_source, tally_resource
from ingestion.run import IngestOptions, ingest_source
from support.inputs import FIXTURES

AMOUNT = {"data_type": "decimal", "precision": 18, "scale": 2}  # the spreadsheets' amount columns


def deals_source(recon: Reconciliation, amounts: list[str], fail_after: int | None = None):
    """A source like the spreadsheets': rows of deals.csv with a decimal(18,2) amount, tallied per input."""

    @dlt.resource(name="deals", primary_key="deal_id", write_disposition="merge", columns={"amount": AMOUNT})
    def deals():
        tally = recon.tally("deals.csv")
        for number, amount in enumerate(amounts, start=2):
            if fail_after is not None and number - 2 == fail_after:
                raise FunnelhouseError("deals.csv: the drop folder went away while it was read")
            tally.rows_read += 1
            tally.rows_loaded += 1
            yield {"deal_id": f"D-{number}", "amount": Decimal(amount), "source_file": "deals.csv",
                   "source_row": number}

    @dlt.source(name="sheets")
    def sheets():
        return deals

    return sheets()


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_a_package_that_can_never_load_is_named_and_cleared(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    pipeline = make_pipeline("sheets", warehouse, tmp_path / "pipelines")
    # row 3 holds 20 digits: decimal(18,2) takes 16 before the point, dlt's normalizer fails on it every time
    recon = Reconciliation("sheets")
    with pytest.raises(PoisonedLoadError) as poisoned:
        run_source("sheets", deals_source(recon, ["1250000.00", "12345678901234567890"]), recon, {"deals"}, pipeline)
    assert re.fullmatch(
        r"sheets: load \d+\.\d+ can never succeed \(table deals, deals\.csv row 3, column amount: "
        r"12345678901234567890 does not fit decimal\(18,2\)\); it was cleared and its inputs will be read again: "
        r"fix the value in the input and run again", str(poisoned.value))
    assert not pipeline.has_pending_data  # nothing left to poison the next run
    recon = Reconciliation("sheets")
    summary = run_source("sheets", deals_source(recon, ["1250000.00", "1234567.89"]), recon, {"deals"}, pipeline)
    assert (summary.rows_read, summary.rows_loaded, summary.warnings) == (2, 2, [])
    assert rows(warehouse, "select deal_id, amount from raw_sheets.deals order by 1") == [
        ("D-2", Decimal("1250000.00")), ("D-3", Decimal("1234567.89"))]
    # the failed run is tallied too: read 2, nothing loaded, with the reason
    tallies = rows(warehouse, "select status, rows_read, rows_loaded, detail from raw_sheets.reconciliation "
                              "order by reconciled_at")
    assert [t[:3] for t in tallies] == [("failed", 2, 0), ("loaded", 2, 2)]
    assert tallies[0][3] == str(poisoned.value)


def test_a_package_left_poisoned_by_an_earlier_run_is_cleared_and_its_inputs_read_again(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    pipeline = make_pipeline("sheets", warehouse, tmp_path / "pipelines")
    # left pending by an earlier run, as today: every run since failed on it
    pipeline.extract(deals_source(Reconciliation("sheets"), ["99999999999999999999.5"]), loader_file_format="parquet")
    recon = Reconciliation("sheets")
    summary = run_source("sheets", deals_source(recon, ["10.00"]), recon, {"deals"}, pipeline)
    (warning,) = summary.warnings
    assert re.fullmatch(r"sheets: load \d+\.\d+ can never succeed \(table deals, deals\.csv row 2, column amount: "
                        r"99999999999999999999\.5 does not fit decimal\(18,2\)\); it was cleared and its inputs are "
                        r"read again in this run", warning)
    assert rows(warehouse, "select deal_id, amount from raw_sheets.deals") == [("D-2", Decimal("10.00"))]


def test_a_20_digit_spreadsheet_amount_never_leaves_the_source_stuck(tmp_path: Path) -> None:
    drop = tmp_path / "inputs" / "spreadsheets"
    drop.mkdir(parents=True)
    export = drop / "pipeline_export_en.csv"
    original = (FIXTURES / "spreadsheets" / "drop" / "pipeline_export_en.csv").read_text(encoding="utf-8-sig")
    export.write_text(original.replace(",1250000.00,,Referral", ",12345678901234567890,,Referral"), encoding="utf-8")
    options = IngestOptions(inputs_dir=tmp_path / "inputs", warehouse=tmp_path / "w.duckdb",
                            pipelines_dir=tmp_path / "pipelines")
    try:  # today dlt cannot normalize it (the load is cleared, naming the row); once shaping quarantines it, fine
        summary, _ = ingest_source("spreadsheets", options)
        assert ("pipeline_export_en.csv", 3) in rows(options.warehouse, "select input_name, row_number from "
                                                                        "raw_spreadsheets.quarantine")
    except PoisonedLoadError as error:
        assert "table export_deals, pipeline_export_en.csv row 3, column amount_cny: 12345678901234567890.00 does " \
               "not fit decimal(18,2)" in str(error)
    assert not make_pipeline("spreadsheets", options.warehouse, options.pipelines_dir).has_pending_data
    export.write_text(original, encoding="utf-8")  # fixed: the next run loads the file
    summary, _ = ingest_source("spreadsheets", options)
    # the export's 6 rows: D-001, D-002, D-005 load; D-003 (stage Discovery), D-004 (13/45/2025) and the second
    # D-001 are quarantined
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (6, 3, 3)
    assert rows(options.warehouse, "select amount_cny from raw_spreadsheets.export_deals where deal_id = 'D-002'") \
        == [(Decimal("1250000.00"),)]


def test_a_run_failing_while_reading_is_tallied(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    pipeline = make_pipeline("sheets", warehouse, tmp_path / "pipelines")
    recon = Reconciliation("sheets")
    with pytest.raises(Exception, match="the drop folder went away while it was read"):
        run_source("sheets", deals_source(recon, ["1.00", "2.00", "3.00"], fail_after=2), recon, {"deals"}, pipeline)
    # two rows read before the failure, none loaded
    assert rows(warehouse, "select input_name, status, rows_read, rows_loaded, detail from raw_sheets.reconciliation") \
        == [("deals.csv", "failed", 2, 0, "deals.csv: the drop folder went away while it was read")]
    assert not pipeline.has_pending_data


def test_rows_that_do_not_reconcile_are_not_loaded_and_are_tallied(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    pipeline = make_pipeline("sheets", warehouse, tmp_path / "pipelines")
    recon = Reconciliation("sheets")
    source = deals_source(recon, ["1.00", "2.00"])
    recon.tally("deals.csv").rows_read = 1  # a counting bug: 3 rows read, 2 loaded, none quarantined
    with pytest.raises(FunnelhouseError, match="rows do not reconcile"):
        run_source("sheets", source, recon, {"deals"}, pipeline)
    assert rows(warehouse, "select status, rows_read, rows_loaded, detail from raw_sheets.reconciliation") == [
        ("failed", 3, 0, "sheets: rows do not reconcile: deals.csv: read 3 != loaded 2 + quarantined 0")]
    assert not pipeline.has_pending_data
    assert rows(warehouse, "select count(*) from information_schema.tables where table_name = 'deals'") == [(0,)]


def test_a_killed_load_is_tallied_on_the_rerun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(FIXTURES / "forms", inputs / "forms")
    options = IngestOptions(inputs_dir=inputs, warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pipelines")

    def killed(self, *args, **kwargs):  # the process dies once the packages are extracted, before they load
        raise SystemExit(137)

    with monkeypatch.context() as patch:
        patch.setattr(dlt.Pipeline, "load", killed)
        with pytest.raises(SystemExit):
            ingest_source("forms", options)
    assert not (tmp_path / "w.duckdb").exists() or rows(
        options.warehouse, "select count(*) from information_schema.tables where table_schema = 'raw_forms'") == [(0,)]

    summary, _ = ingest_source("forms", options)
    assert summary.rows_read == 0  # every file was read by the killed run ...
    tallies = rows(options.warehouse, "select status, sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
                                      "from raw_forms.reconciliation group by 1 order by 1")
    # ... whose tally loads with its rows: 15 rows read, 8 loaded, 7 quarantined (tests/test_orchestration.py), the
    # empty file rejected; the re-run's tally says the 4 readable files are unchanged
    assert tallies == [("loaded", 15, 8, 7), ("rejected", 0, 0, 0), ("unchanged", 0, 0, 0)]
    assert rows(options.warehouse, "select count(*) from raw_forms.form_submissions") == [(7,)]


def test_a_run_killed_while_normalizing_leaves_a_package_the_next_run_loads(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    pipeline = make_pipeline("sheets", warehouse, tmp_path / "pipelines")
    recon = Reconciliation("sheets")
    source = deals_source(recon, ["1.00", "2.00"])
    pipeline.extract([source, tally_resource(recon)], schema=source.schema, loader_file_format="parquet")
    (load_id,) = pipeline.list_extracted_load_packages()
    extracted = Path(pipeline.working_dir) / "normalize" / "extracted" / load_id
    shutil.copytree(extracted, tmp_path / "copy")
    pipeline.normalize()
    # killed after dlt moved the normalized package into load/ but before it deleted the extracted one
    shutil.copytree(tmp_path / "copy", extracted)
    recon = Reconciliation("sheets")
    summary = run_source("sheets", deals_source(recon, ["1.00", "2.00"]), recon, {"deals"}, pipeline)
    assert summary.warnings == [] and summary.rows_read == 2
    assert rows(warehouse, "select deal_id, amount from raw_sheets.deals order by 1") == [
        ("D-2", Decimal("1.00")), ("D-3", Decimal("2.00"))]
    assert rows(warehouse, "select status, rows_read, rows_loaded from raw_sheets.reconciliation order by reconciled_at") \
        == [("loaded", 2, 2), ("loaded", 2, 2)]  # the killed run's tally, then this run's (the toy source has no state)
