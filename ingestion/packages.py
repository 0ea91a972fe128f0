"""dlt load packages a run leaves behind: loaded by the next run; one that can never load (poisoned) is reported
with its table, file and row, and aborted, which rewinds the pipeline's state so its inputs are read again."""
from __future__ import annotations

import gzip
import shutil
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dlt
from dlt.common.exceptions import TerminalException, TransientException
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.common.errors import FunnelhouseError

DEFAULT_DECIMAL = (38, 9)  # dlt's precision and scale of a decimal column that declares none
BIGINT = 2**63 - 1
ROW_KEYS = (("source_file", "source_row"), ("input_name", "row_number"))  # where a row came from, per source


class PoisonedLoadError(FunnelhouseError):
    """A dlt load package can never be loaded (a value the warehouse cannot hold); it was aborted."""


def causes(exc: BaseException):
    """`exc`, the exception dlt wrapped in it and their causes."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "exception", None), current.__cause__, current.__context__])


def is_poisoned(exc: BaseException) -> bool:
    """Whether a failed step can never succeed with the same package: normalizing failed (the same files fail
    again), or dlt marked the load's failure terminal. A transient failure (a locked warehouse) is not."""
    chain = list(causes(exc))
    if any(isinstance(e, TransientException) for e in chain):
        return False
    return any(isinstance(e, PipelineStepFailed) and e.step == "normalize" for e in chain) or any(
        isinstance(e, TerminalException) for e in chain)


def _rows(path: Path):
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        yield from pq.read_table(path).to_pylist()
        return
    from dlt.common.json import json

    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        for line in handle:
            if line.strip():
                items = json.typed_loadb(line)
                yield from items if isinstance(items, list) else [items]


def _misfit(value, column: dict) -> str:
    """Why `value` does not fit the column's type ("" when it does): decimals past their digits, bigints past 64 bit."""
    kind = column.get("data_type")
    if kind == "decimal" and value is not None:
        precision = column.get("precision") or DEFAULT_DECIMAL[0]
        scale = column.get("scale") if column.get("scale") is not None else DEFAULT_DECIMAL[1]
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return ""
        digits = len(str(abs(number).to_integral_value(rounding="ROUND_DOWN")).lstrip("0"))
        if not number.is_finite() or digits > precision - scale:
            return f"{value} does not fit decimal({precision},{scale})"
    if kind == "bigint" and isinstance(value, int) and abs(value) > BIGINT:
        return f"{value} does not fit a 64-bit integer"
    return ""


def _where(row: dict, table: str) -> str:
    for file_key, row_key in ROW_KEYS:
        if row.get(file_key) is not None:
            return f"table {table}, {row[file_key]} row {row.get(row_key)}"
    return f"table {table}, id {row['id']}" if row.get("id") is not None else f"table {table}"


def locate(pipeline: dlt.Pipeline, load_id: str) -> str:
    """The first value in package `load_id` that its table cannot hold: "table t, file row n, column: why"."""
    import json as plain_json

    root = Path(pipeline.working_dir)
    for package in (root / "normalize" / "extracted" / load_id, root / "load" / "normalized" / load_id):
        if not (package / "schema.json").exists():
            continue
        tables = plain_json.loads((package / "schema.json").read_text(encoding="utf-8")).get("tables", {})
        for folder in ("new_jobs", "started_jobs", "failed_jobs"):
            for path in sorted((package / folder).glob("*")):
                table = path.name.split(".")[0]
                columns = tables.get(table, {}).get("columns", {})
                try:
                    for row in _rows(path):
                        for name, value in row.items():
                            why = _misfit(value, columns.get(name, {}))
                            if why:
                                return f"{_where(row, table)}, column {name}: {why}"
                except Exception:  # noqa: BLE001 - an unreadable job file: dlt's message will have to do
                    continue
    return ""


def dlt_reason(exc: BaseException) -> str:
    """The one line dlt gives on the failed job (after "with message:"), else the innermost exception's first line."""
    text = ""
    for current in causes(exc):
        if "with message:" in str(current):
            text = str(current).split("with message:", 1)[1]
            break
    else:
        inner = [e for e in causes(exc) if not isinstance(e, PipelineStepFailed)]
        text = str(inner[-1] if inner else exc)
    text = text.split(" Please see ", 1)[0].strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("Traceback"):  # the error is the traceback's last line
        lines = [line for line in lines if not line.startswith(("File ", "Traceback", "^"))][-1:]
    return " ".join(lines)[:300] or type(exc).__name__


def one_line(exc: BaseException) -> str:
    """The reason of a failed run in one line: our own error's message where the chain holds one, else dlt's."""
    ours = [e for e in causes(exc) if isinstance(e, FunnelhouseError)]
    return " ".join(str(ours[0]).split()) if ours else dlt_reason(exc)


def abort_poisoned(pipeline: dlt.Pipeline, source_name: str, exc: PipelineStepFailed) -> PoisonedLoadError:
    """Abort every pending package of the pipeline (dlt rewinds its state to before the oldest, so their inputs are
    read again) and return the one-line error naming the value that cannot load."""
    where = locate(pipeline, exc.load_id) if exc.load_id else ""
    pipeline.abort_packages()
    if not where and any(isinstance(e, OSError) for e in causes(exc)):
        return PoisonedLoadError(
            f"{source_name}: load {exc.load_id} could not be resumed after an interrupted run ({dlt_reason(exc)}); "
            "it was cleared and its inputs will be read again: run again")
    what = where or dlt_reason(exc)
    return PoisonedLoadError(
        f"{source_name}: load {exc.load_id} can never succeed ({what}); it was cleared and its inputs will be read "
        "again: fix the value in the input and run again")


def drop_normalized_twins(pipeline: dlt.Pipeline) -> list[str]:
    """Remove extracted packages already normalized: dlt moves a normalized package into the load folder, then
    deletes the extracted one; a run killed between the two leaves both, and normalizing it again fails."""
    root = Path(pipeline.working_dir)
    extracted = root / "normalize" / "extracted"
    done = {package.name for state in ("normalized", "loaded") if (root / "load" / state).is_dir()
            for package in (root / "load" / state).iterdir()}
    twins = [package for package in (sorted(extracted.iterdir()) if extracted.is_dir() else []) if package.name in done]
    for package in twins:
        shutil.rmtree(package)
    return [package.name for package in twins]


def finish_pending(pipeline: dlt.Pipeline, source_name: str) -> list[str]:
    """Normalize and load what an earlier run left (killed, or failed while loading), its tally included. A package
    that can never load is aborted: returns the warning saying so (its inputs are read again by this run)."""
    if not pipeline.has_pending_data:
        return []
    drop_normalized_twins(pipeline)
    try:
        pipeline.normalize()
        pipeline.load()
    except PipelineStepFailed as exc:
        if not is_poisoned(exc):
            raise
        message = str(abort_poisoned(pipeline, source_name, exc))
        return [message.split("; it was cleared")[0] + "; it was cleared and its inputs are read again in this run"]
    return []
