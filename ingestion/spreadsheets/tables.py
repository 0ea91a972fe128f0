"""Read the files of one table's mapping entries: skip unchanged files, tally and quarantine rows, reject bad files."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, MutableMapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import dlt

from ingestion.common.drop import ready_files, reject
from ingestion.common.errors import InputFileError
from ingestion.common.files import DropFile, list_files
from ingestion.common.funnel import known_stages
from ingestion.common.parsing import FieldError, error_text
from ingestion.common.quarantine import quarantine_row
from ingestion.common.shaping import shape_one
from ingestion.common.reconcile import Reconciliation
from ingestion.spreadsheets.arrow import arrow_schema, as_arrow
from ingestion.spreadsheets.header import EmptyInput, Header, find_header, is_blank_row
from ingestion.spreadsheets.mapping import (
    CLOSING,
    PROVENANCE_COLUMNS,
    STAGE_DATE_KEY,
    STAGE_DATES_TABLE,
    InputSpec,
    Mapping,
)
from ingestion.spreadsheets.readers import SPREADSHEET_SUFFIXES, Sheet, open_sheets
from ingestion.spreadsheets.rows import KeyRegistry, RowConverter, content_of
from ingestion.spreadsheets.values import StageVocabulary

BATCH_SIZE = 1000


def claim_files(root: Path, mapping: Mapping) -> tuple[dict[str, list[Path]], list[Path]]:
    """Files of each entry (a file belongs to the first entry whose globs match it) and the spreadsheet files of
    the drop folder that no entry matches."""
    claimed: dict[Path, str] = {}
    for spec in mapping.inputs:
        for path in list_files(root, spec.files) if root.exists() else []:
            claimed.setdefault(path, spec.name)
    by_entry: dict[str, list[Path]] = {spec.name: [] for spec in mapping.inputs}
    for path, entry in claimed.items():
        by_entry[entry].append(path)
    everything = list_files(root, ["**/*"]) if root.exists() else []
    unmapped = [path for path in everything if path.suffix.lower() in SPREADSHEET_SUFFIXES and path not in claimed]
    return by_entry, unmapped


def entry_digest(spec: InputSpec) -> str:
    """The configuration a file of this entry is read with: the entry's settings and the funnel_stage_map.csv rows
    of its stage_source. A change to either reads the entry's files again (and replaces their quarantine rows)."""
    stages = sorted(known_stages(spec.stage_source).items()) if spec.stage_source else []
    if not stages:
        return spec.digest
    return spec.digest + ":" + hashlib.sha256(json.dumps(stages, ensure_ascii=False).encode()).hexdigest()[:16]


class TableReader:
    """Reads every new or changed file of the entries that load one table, within one extraction."""

    def __init__(self, root: Path, mapping: Mapping, table: str, reconciliation: Reconciliation) -> None:
        self.root = root
        self.mapping = mapping
        self.table = table
        self.reconciliation = reconciliation
        self.keys = KeyRegistry()
        self.schema = arrow_schema(mapping.table_columns(table))

    def items(self, state: MutableMapping[str, Any]) -> Iterator[Any]:
        """Rows (in batches) and quarantine items; records each file's fingerprint in `state` once it is read,
        which dlt commits together with the load."""
        self.keys = KeyRegistry()  # natural keys are unique per table across all its files in one run
        fingerprints: dict[str, str] = state.setdefault("fingerprints", {})
        entry_digests: dict[str, str] = state.setdefault("entry_digests", {})
        inputs_of_file: dict[str, list[str]] = state.setdefault("inputs", {})
        rejected: dict[str, str] = state.setdefault("rejected", {})  # seen but not loaded: the sensor's "not new"
        files_of_entry, _ = claim_files(self.root, self.mapping)
        for spec in self.mapping.tables()[self.table]:
            digest = entry_digest(spec)
            for drop in ready_files(self.root, files_of_entry[spec.name], self.reconciliation):
                if isinstance(drop, InputFileError):  # refused unread (a link out of the drop folder)
                    yield self._reject(drop, [])
                    continue
                if fingerprints.get(drop.name) == drop.sha256 and entry_digests.get(drop.name) == digest:
                    for input_name in inputs_of_file.get(drop.name) or [drop.name]:
                        tally = self.reconciliation.tally(input_name, "file")
                        tally.status, tally.detail = "unchanged", "already loaded (same fingerprint)"
                    continue
                input_names: list[str] = []
                yield from self._read_file(drop, spec, input_names)
                if any(self.reconciliation.tally(name).status == "rejected" for name in input_names):
                    fingerprints.pop(drop.name, None)  # read, and reported, again on every run until it is fixed
                    rejected[drop.name] = drop.sha256
                    continue
                fingerprints[drop.name], entry_digests[drop.name] = drop.sha256, digest
                rejected.pop(drop.name, None)
                inputs_of_file[drop.name] = input_names

    def _reject(self, error: InputFileError, input_names: list[str]) -> Any:
        input_names.append(error.input_name)
        return reject(self.reconciliation, error, self.table)

    def _read_file(self, drop: DropFile, spec: InputSpec, input_names: list[str]) -> Iterator[Any]:
        from_name = spec.values_from_file_name(drop.name)
        if from_name is None:
            patterns = ", ".join(f"{column}: {pattern.pattern}" for column, pattern in spec.from_file_name.items())
            message = f"file name does not give the columns of entry {spec.name} (from_file_name {patterns})"
            yield self._reject(InputFileError(drop.name, message), input_names)
            return
        with ExitStack() as stack:
            try:
                sheets = stack.enter_context(open_sheets(drop, spec))
            except InputFileError as error:
                yield self._reject(error, input_names)
                return
            fixed = {**spec.fixed_columns(), **from_name, "source_file": drop.name}
            for sheet in sheets:
                yield from self._read_sheet(sheet, spec, {**fixed, "source_sheet": sheet.sheet_name}, input_names)
            if not input_names:  # every worksheet was blank
                yield self._reject(InputFileError(drop.name, "file is empty"), input_names)

    def _read_sheet(self, sheet: Sheet, spec: InputSpec, fixed: dict[str, Any], input_names: list[str]) -> Iterator[Any]:
        if sheet.problem:
            yield self._reject(sheet.problem, input_names)
            return
        try:
            header = find_header(sheet.rows, spec, sheet.input_name, "sheet is empty" if sheet.sheet_name else "file is empty")
        except EmptyInput as error:
            if sheet.listed:
                yield self._reject(error, input_names)
            return
        except InputFileError as error:
            yield self._reject(error, input_names)
            return
        input_names.append(sheet.input_name)
        tally = self.reconciliation.tally(sheet.input_name, "file")
        stages = StageVocabulary(spec.stage_source, known_stages(spec.stage_source)) if spec.stage_source else None
        converter = RowConverter(spec, header, fixed, stages)
        batch: list[dict[str, Any]] = []
        for number, cells, failure in _rows_or_failure(sheet, header.row_number):
            if is_blank_row(cells) and failure is None:
                continue

            def to_row(cells: tuple[Any, ...]) -> dict[str, Any]:
                if failure:
                    raise failure
                row = converter.convert(number, cells)
                self._check_key(spec, header, row, sheet.input_name, number)
                return row

            row = shape_one(cells, to_row, tally, unexpected_field="row")  # one bad row stops only itself
            if isinstance(row, FieldError):
                error = row
                yield quarantine_row(
                    input_name=sheet.input_name, row_number=number, field=error.field, raw_value=error.raw_value,
                    reason=error.reason, raw_record=header.raw_record(cells), entity=self.table,
                )
                continue
            tally.rows_loaded += 1
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                yield from self._batch(spec, batch)
                batch = []
        if batch:
            yield from self._batch(spec, batch)
        if sheet.nul_bytes.count:
            note = f"removed {sheet.nul_bytes}"
            tally.detail = note
            self.reconciliation.warnings.append(f"{sheet.input_name}: {note}; check the row(s) and re-export the file")

    def _batch(self, spec: InputSpec, batch: list[dict[str, Any]]) -> Iterator[Any]:
        """The rows (one Arrow table), then the stage entries their dated columns mean (deal_stage_dates, no tally of
        their own)."""
        yield as_arrow(batch, self.schema)
        if spec.stage_dates:
            entries = [entry for row in batch for entry in stage_entries(spec, row)]
            if entries:
                # own primary key: the resource's (source_name, record_key) would merge a deal's entries into one
                hints = dlt.mark.make_hints(table_name=STAGE_DATES_TABLE, primary_key=STAGE_DATE_KEY)
                yield dlt.mark.with_hints(entries, hints, create_table_variant=True)

    def _check_key(self, spec: InputSpec, header: Header, row: dict[str, Any], input_name: str, number: int) -> None:
        key = tuple(row[column] for column in spec.key)
        scoped = (spec.name, *key) if spec.is_canonical else key  # entries of a canonical table key apart
        other = self.keys.conflict(scoped, content_of(row), input_name, number)
        if other is None:
            return
        described = ", ".join(f"{column}={_shown(value)}" for column, value in zip(spec.key, key))
        raise FieldError(
            _key_header(spec, header),
            described,
            f"duplicate key ({described}) with different values than {other}",
        )


def _rows_or_failure(sheet: Sheet, after: int) -> Iterator[tuple[int, tuple[Any, ...], FieldError | None]]:
    """(row number, cells, None) per row of the sheet; when reading fails part way (a damaged file), one last
    (row number, (), the failure), so the rows before it load and the failure is quarantined and counted."""
    number = after
    try:
        for number, cells in sheet.rows:
            yield number, cells, None
    except Exception as error:  # noqa: BLE001 - csv.Error, zip and XML errors of a damaged file
        reason = (f"the file could not be read past row {number} ({error_text(error)}); the rows above it are loaded: "
                  "export or save the file again and drop it again")
        yield number + 1, (), FieldError("file", None, reason)


def stage_entries(spec: InputSpec, row: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per dated `enters` field of a deal: the stage entered that day (closing: the deal's own stage)."""
    entries = []
    for field in spec.stage_dates:
        entered_on = row.get(field.name)
        raw, code = field.enters
        if entered_on is None or (raw == CLOSING and not row.get("stage_code")):
            continue
        closing = raw == CLOSING
        entries.append({
            "source_name": row["source_name"], "record_key": row["record_key"],
            "stage_raw": row["stage_raw"] if closing else raw, "stage_code": row["stage_code"] if closing else code,
            "is_closing": closing, "entered_on": entered_on,
            **{column: row.get(column) for column in PROVENANCE_COLUMNS},
        })
    return entries


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _key_header(spec: InputSpec, header: Header) -> str:
    """The header text of the first key column that comes from the sheet, else the first key column's name."""
    for column in spec.key:
        for field, index in header.positions:
            if column in field.columns:
                return header.text_of(index)
    return spec.key[0]
