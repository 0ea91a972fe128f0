"""dlt source `forms`: web-form submissions (Typeform webhooks, 金数据 pushes, JSONL exports) from a drop folder."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import orjson

from ingestion.common.drop import new_files, reject
from ingestion.common.errors import InputFileError
from ingestion.common.files import DropFile
from ingestion.common.parsing import FieldError
from ingestion.common.quarantine import quarantine_row
from ingestion.common.shaping import shape_one
from ingestion.common.reconcile import InputTally, Reconciliation
from ingestion.common.schema import declare_table
from ingestion.forms.leads import LEAD_COLUMNS, to_arrow, to_lead
from ingestion.forms.seen import SeenSubmissions
from ingestion.forms.settings import DEFAULT_MAPPING, FormsConfigError, load_mapping
from ingestion.forms.shapes import SHAPES

__all__ = ["DEFAULT_MAPPING", "ENTITY_TABLES", "FormsConfigError", "forms_source", "load_mapping"]
ENTITY_TABLES = {"form_submissions"}
BATCH_SIZE = 2000
SETTLE_ROWS = 20_000  # records whose submission ids are looked up together (ingestion.forms.seen)


MAX_JSON_DEPTH = 32  # no vendor payload nests deeper; a deeper one is a runaway writer, not a submission


_STRING = re.compile(rb'"[^"]*"')
_EMPTY_PAIR = re.compile(rb"\{\}|\[\]")
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'{}[]"')


def too_deep(raw: bytes) -> bool:
    """Whether the objects and arrays of the valid JSON text `raw` nest deeper than MAX_JSON_DEPTH, all in C (no walk
    over the values): escaped backslashes and quotes dropped, only quotes and brackets kept, strings taken out; each
    pass then removes the innermost bracket pairs."""
    brackets = _STRING.sub(b"", raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE))
    for _ in range(MAX_JSON_DEPTH):
        if not brackets:
            return False
        brackets = _EMPTY_PAIR.sub(b"", brackets)
    return bool(brackets)


_TOO_DEEP = (f"JSON nested deeper than {MAX_JSON_DEPTH} levels; a form payload is never this deep, check what wrote "
             "the file")


def _parsed(raw: bytes) -> tuple[Any, str | None, int]:
    """(payload, problem, NUL bytes removed) of one record's bytes; the JSON's nesting depth is checked. orjson
    reads it; what orjson refuses (NaN, integers past 64 bits, lone surrogates, errors) is read by the standard
    library, whose reading and error messages are the rule."""
    nuls = raw.count(b"\x00")
    if nuls:
        raw = raw.replace(b"\x00", b"")
    try:
        payload = orjson.loads(raw)
        text = None
    except orjson.JSONDecodeError:
        text = raw.decode("utf-8")
        try:
            payload = json.loads(text)
        except RecursionError:
            return text, _TOO_DEEP, nuls
    if too_deep(raw):
        return text if text is not None else raw.decode("utf-8"), _TOO_DEEP, nuls
    if b"\\u0000" in raw:  # NUL characters inside strings: Postgres refuses them in text, no person typed one
        payload, removed = _without_nul(payload)
        nuls += removed
    return payload, None, nuls


def _without_nul(value: Any) -> tuple[Any, int]:
    """`value` with NUL characters removed from every string in it (keys too), and how many were removed."""
    if isinstance(value, str):
        return value.replace("\x00", ""), value.count("\x00")
    if isinstance(value, list):
        items = [_without_nul(item) for item in value]
        return [item for item, _ in items], sum(count for _, count in items)
    if isinstance(value, dict):
        pairs = [(_without_nul(key), _without_nul(item)) for key, item in value.items()]
        return {key: item for (key, _), (item, _) in pairs}, sum(a + b for (_, a), (_, b) in pairs)
    return value, 0


def _lines(drop: DropFile) -> Iterator[tuple[int, Any, str | None, int]]:
    """(line number, parsed JSON or None, problem, NUL bytes removed) for each non-blank line; a .json file holds
    one payload or a list (its NUL bytes are noted on its first record)."""
    if drop.path.suffix == ".json":
        try:
            payload, problem, nuls = _parsed(drop.path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            yield 1, None, f"malformed JSON: {error}", 0
            return
        if problem:
            yield 1, payload, problem, nuls
            return
        for number, item in enumerate(payload if isinstance(payload, list) else [payload], start=1):
            yield number, item, None, nuls if number == 1 else 0
        return
    with drop.path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip(b" \t\r\n\x00"):
                continue
            try:
                yield number, *_parsed(raw)
            except UnicodeDecodeError:
                yield number, raw.decode("utf-8", "replace"), "line is not valid UTF-8 text", 0
            except json.JSONDecodeError as error:
                cut_off = not raw.endswith(b"\n")
                reason = "truncated: the last line ends mid-record" if cut_off else f"malformed JSON: {error.msg} (column {error.colno})"
                yield number, raw.replace(b"\x00", b"").decode("utf-8", "replace"), reason, 0


def _fingerprint(row: dict[str, Any]) -> bytes:
    """16 bytes that differ when two records of one submission id differ in any value (where they came from aside)."""
    stable = {k: v for k, v in row.items() if k not in ("source_file", "source_row")}
    text = orjson.dumps(stable, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME, default=str)
    return hashlib.blake2b(text, digest_size=16).digest()


def _changed_files(
    root: Path, settings: Any, state: dict, recon: Reconciliation
) -> Iterator[DropFile | InputFileError]:
    """New or changed files of one tool, and files whose forms.yaml section changed since they were read: the
    fingerprint of a file is its content plus the digest of the settings that map it."""
    fingerprints: dict[str, str] = state.setdefault("fingerprints", {})
    digests: dict[str, str] = state.setdefault("config_digests", {})
    digest = settings.digest()
    view = {"fingerprints": {name: sha for name, sha in fingerprints.items() if digests.get(name) == digest},
            "rejected": state.setdefault("rejected", {})}
    yield from new_files(root, settings.globs, view, recon)
    for name, sha in view["fingerprints"].items():
        fingerprints[name], digests[name] = sha, digest


def _read_file(tool: str, mapping: Any, drop: DropFile, tally: InputTally, seen: SeenSubmissions) -> Iterator[Any]:
    """The rows and quarantine rows of one file. A record that parses waits, SETTLE_ROWS at a time, for the look-up
    of its submission id among those read before it in this load (ingestion.forms.seen)."""
    shape = SHAPES[tool]
    pending: list[tuple[int, Any, dict]] = []  # (row number, payload, row) of records that parsed
    for number, payload, problem, nuls in _lines(drop):

        def to_row(payload: Any) -> dict[str, Any]:
            if problem:
                raise FieldError("json", payload, problem)
            return to_lead(tool, shape(payload, mapping))

        row = shape_one(payload, to_row, tally, unexpected_field="json")  # one bad record stops only itself
        if isinstance(row, FieldError):
            yield _quarantined(drop, number, payload, row)
            continue
        if nuls:
            note = f"removed {nuls} NUL byte{'s' if nuls > 1 else ''} from the record"
            row["data_issues"] = "; ".join(filter(None, [row["data_issues"], note]))
        row.update(source_file=drop.name, source_row=number)
        pending.append((number, payload, row))
        if len(pending) >= SETTLE_ROWS:
            yield from _settled(tool, drop, tally, seen, pending)
            pending = []
    yield from _settled(tool, drop, tally, seen, pending)


def _settled(tool: str, drop: DropFile, tally: InputTally, seen: SeenSubmissions,
             pending: list[tuple[int, Any, dict]]) -> Iterator[Any]:
    """The pending records loaded, or quarantined when their submission id was read before with other values."""
    records = [(f"{tool}:{row['submission_id']}", _fingerprint(row), drop.name, number) for number, _, row in pending]
    for (number, payload, row), record, first in zip(pending, records, seen.first_reads(records)):
        if first.fingerprint != record[1]:
            tally.rows_quarantined += 1
            yield _quarantined(drop, number, payload, FieldError(
                "submission_id", row["submission_id"], f"duplicate submission id {row['submission_id']!r} with "
                f"different values than {first.input_name} line {first.row_number}"))
            continue
        tally.rows_loaded += 1
        yield row


def _quarantined(drop: DropFile, number: int, payload: Any, error: FieldError) -> Any:
    return quarantine_row(input_name=drop.name, row_number=number, field=error.field, raw_value=error.raw_value,
                          reason=error.reason, raw_record=payload, entity="form_submissions")


@dlt.source(name="forms")
def forms_source(
    drop_dir: str = dlt.config.value,
    mapping_path: str | None = None,
    reconciliation: Reconciliation | None = None,
) -> Any:
    """Form submissions found under `drop_dir` (per tool sub-folders as globbed in forms.yaml)."""
    mapping = load_mapping(Path(mapping_path) if mapping_path else None)
    recon = reconciliation or Reconciliation("forms")
    root = Path(drop_dir)
    declare_table("form_submissions", LEAD_COLUMNS, primary_key=["submission_id"])

    @dlt.resource(name="form_submissions", primary_key="submission_id", write_disposition="merge")
    def form_submissions() -> Iterator[Any]:
        state = dlt.current.resource_state()
        seen = SeenSubmissions()
        try:
            yield from _submissions(state, seen)
        finally:
            seen.close()

    def _submissions(state: dict, seen: SeenSubmissions) -> Iterator[Any]:
        for tool, tool_mapping in mapping.tools().items():
            for drop in _changed_files(root, tool_mapping, state, recon):
                if isinstance(drop, InputFileError):  # refused unread (a link out of the drop folder)
                    yield reject(recon, drop, "form_submissions")
                    continue
                tally = recon.tally(drop.name, "file")
                if drop.path.stat().st_size == 0:
                    yield reject(recon, InputFileError(drop.name, "file is empty"), "form_submissions")
                    continue
                batch: list[dict] = []  # Arrow batches skip dlt's row-by-row normalizer
                for item in _read_file(tool, tool_mapping, drop, tally, seen):
                    if not isinstance(item, dict):
                        yield item  # a quarantine row
                        continue
                    item["submission_id"] = f"{tool}:{item['submission_id']}"
                    batch.append(item)
                    if len(batch) >= BATCH_SIZE:
                        yield to_arrow(batch)
                        batch = []
                if batch:
                    yield to_arrow(batch)

    return form_submissions
