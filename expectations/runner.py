"""Run a suite on a frame read from the warehouse with Great Expectations, and keep the results.

What one SQL query can count is judged in the warehouse first (expectations.sql_checks); GX validates the rest and
explains every failure, and the results keep GX's format either way. GX runs on pandas DataFrames (its SQL datasource does not work with DuckDB 2): `validate` reads the suite's query
through the connection it is given, so it works inside a process where dbt-duckdb already holds the warehouse.
One ephemeral GX context per process, created on first use and reused; GX writes no files itself, the results are
written here as JSON plus a static index.html.
"""
from __future__ import annotations

import html
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from expectations import sql_checks
from expectations.privacy import mask_validation
from expectations.rules import ERROR, WARN, BuildContext, as_of_datetime
from expectations.sql_checks import Judged
from expectations.suites import SUITES, Suite

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

log = logging.getLogger(__name__)

HISTORY_KEEP = 100  # timestamped result files kept per suite (latest.json is always kept)
PARTIAL_UNEXPECTED_COUNT = 20  # failing values (and their row ids) listed per expectation in the GX result
CHUNK_ROWS = 500_000  # larger frames are validated in chunks of this many rows (run_gx_in_chunks)
DUCKDB_VECTOR_ROWS = 2048  # DuckDB hands results over in vectors of this many rows
# expectations that judge each row alone, so that chunks can be validated apart and their counts added up
ROW_WISE_EXPECTATIONS = frozenset({
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
})
# checked in parts split by a hash of the key: equal keys always fall into the same part
UNIQUENESS_EXPECTATIONS = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})
INDEX_FILE = "index.html"
LATEST_FILE = "latest.json"


# ---------------------------------------------------------------------------------------------------- results
@dataclass
class ExpectationOutcome:
    expectation: str  # GX type, e.g. "expect_column_values_to_not_be_null"
    column: str | None  # the column (or "a, b" for multi-column expectations); None for table-level ones
    severity: str  # "ERROR" | "WARN"
    success: bool
    failing_rows: int  # rows that failed (0 for table-level expectations such as the row count)
    detail: str  # one line for people: what failed, with examples
    description: str = ""


@dataclass
class SuiteResult:
    suite: str
    table: str
    rows: int
    success: bool
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    as_of: str = ""
    result_path: Path | None = None  # the JSON written for this run, when results_dir was given
    skipped: str = ""  # why the suite did not run (its table was never loaded); empty when it ran

    @property
    def errors(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == ERROR]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == WARN]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def failing_rows(self) -> int:
        return sum(o.failing_rows for o in self.failed)

    @property
    def blocking(self) -> bool:
        return bool(self.errors)

    def summary(self) -> str:
        if self.skipped:
            return f"{self.suite} on {self.table}: skipped — {self.skipped}"
        head = f"{self.suite} on {self.table} ({self.rows} rows)"
        if self.success:
            return f"{head}: passed {len(self.outcomes)} expectations"
        status = "FAILED" if self.blocking else "passed with warnings"
        failures = "; ".join(
            f"{o.severity} {o.expectation}{f'({o.column})' if o.column else ''}"
            f"{f': {o.failing_rows} rows' if o.failing_rows else ''}{_values_of(o.detail)}"
            for o in self.failed
        )
        return (
            f"{head}: {status}: {len(self.errors)} ERROR, {len(self.warnings)} WARN of {len(self.outcomes)} "
            f"expectations: {failures}"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["result_path"] = str(self.result_path) if self.result_path else None
        data.update(blocking=self.blocking, failing_rows=self.failing_rows)
        return data


def _values_of(detail: str) -> str:
    """" (values: 'a' ×3, 'b' ×1)" from an outcome's detail, so that a summary names the values to fix."""
    found = next((part for part in detail.split("; ") if part.startswith("values: ")), "")
    return f" ({found})" if found else ""


# -------------------------------------------------------------------------------------------------- GX context
_lock = threading.RLock()
_context: Any = None
_batch_definitions: dict[str, Any] = {}
DATASOURCE = "funnelhouse_warehouse"


def gx_context():
    """The process's ephemeral GX context (created on first use): in memory, no usage statistics,
    no progress bars, no Data Docs site."""
    global _context
    with _lock:
        if _context is None:
            os.environ["GX_ANALYTICS_ENABLED"] = "false"
            import great_expectations as gx
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            )
            _context = gx.get_context(mode="ephemeral", project_config=config)
            _context.data_sources.add_pandas(DATASOURCE)
        return _context


def _batch_definition(name: str):
    if name not in _batch_definitions:
        datasource = gx_context().data_sources.get(DATASOURCE)
        asset = datasource.add_dataframe_asset(name)
        _batch_definitions[name] = asset.add_batch_definition_whole_dataframe("whole_frame")
    return _batch_definitions[name]


def run_gx(name: str, expectations: list, frame: pd.DataFrame, id_columns: Iterable[str] = ()):
    """Validate `frame` against `expectations` as GX suite `name`; the ExpectationSuiteValidationResult."""
    return _run_definition(_validation_definition(name, expectations), frame, id_columns)


def _validation_definition(name: str, expectations: list):
    """GX suite `name` with `expectations` (which then belong to it) and its validation definition on a frame."""
    import great_expectations as gx

    with _lock:
        context = gx_context()
        suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
        return context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=_batch_definition(name), suite=suite)
        )


def _run_definition(definition: Any, frame: pd.DataFrame, id_columns: Iterable[str] = ()):
    ids = [column for column in id_columns if column in frame.columns]
    result_format: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": PARTIAL_UNEXPECTED_COUNT,
    }
    if ids:
        result_format["unexpected_index_column_names"] = ids
    with _lock:
        return definition.run(batch_parameters={"dataframe": frame}, result_format=result_format)


def utc_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every date/time column in UTC (naive ones, DuckDB DATE and TIMESTAMP, are taken as UTC) so that they compare
    with the as-of moment."""
    import pandas as pd

    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC")
        elif pd.api.types.is_datetime64_dtype(dtype):
            frame[column] = frame[column].dt.tz_localize("UTC")
    return frame


# ------------------------------------------------------------------------------------------------ outcomes
def _short(value: Any) -> str:
    text = str(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _column(kwargs: dict[str, Any]) -> str | None:
    if kwargs.get("column"):
        return kwargs["column"]
    if kwargs.get("column_list"):
        return ", ".join(kwargs["column_list"])
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    return None


def _detail(
    kind: str, kwargs: dict[str, Any], result: dict[str, Any], success: bool, previous_rows: int | None
) -> str:
    if "observed_value" in result and "element_count" not in result:  # table-level (row count)
        observed = result.get("observed_value")
        if kind == "expect_table_row_count_to_be_between":
            low, high = kwargs.get("min_value"), kwargs.get("max_value")
            bounds = f"{low}..{high if high is not None else '∞'}"
            previous = "first run" if previous_rows is None else f"previous run {previous_rows}"
            return f"{observed} rows, allowed {bounds} ({previous})"
        return f"observed {_short(observed)}"
    total = result.get("element_count", 0)
    unexpected = result.get("unexpected_count", 0) or 0
    if success:
        return f"{total} rows checked"
    text = f"{unexpected} of {total} rows"
    counts = result.get("partial_unexpected_counts") or []
    if counts:
        text += "; values: " + ", ".join(f"{_short(c['value'])} ×{c['count']}" for c in counts[:5])
    ids = result.get("partial_unexpected_index_list") or []
    id_names = result.get("unexpected_index_column_names") or []
    if ids and id_names:
        shown = [", ".join(f"{name}={_short(row.get(name))}" for name in id_names) for row in ids[:3]]
        text += "; e.g. " + " | ".join(shown)
    return text


def _exception_message(info: Any) -> str | None:
    """The first line of the exception GX caught while evaluating an expectation, None if none was raised.
    GX reports it either flat or per metric ({metric id: {raised_exception, exception_message, ...}})."""
    if not isinstance(info, dict):
        return None
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = []
    for entry in entries:
        if entry.get("raised_exception"):
            text = (entry.get("exception_message") or "error").strip().splitlines()[0]
            if text not in messages:
                messages.append(text)
    return "; ".join(messages) if messages else None


def _signature(kind: str, kwargs: dict[str, Any]) -> str:
    return kind + json.dumps({k: v for k, v in kwargs.items() if k != "batch_id"}, sort_keys=True, default=str)


def outcomes_from(
    gx_result: Any, order: list[Any], previous_rows: int | None = None
) -> list[ExpectationOutcome]:
    """One outcome per expectation, in the suite's order (GX groups its results by metric)."""
    by_id: dict[Any, int] = {}
    by_signature: dict[str, int] = {}
    for index, expectation in enumerate(order):
        if getattr(expectation, "id", None):
            by_id[expectation.id] = index
        config = expectation.configuration
        by_signature.setdefault(_signature(config.type, dict(config.kwargs)), index)
    rows: list[tuple[int, ExpectationOutcome]] = []
    for index, item in enumerate(gx_result.results):
        config = item.expectation_config
        kind = config.type
        kwargs = dict(config.kwargs)
        meta = config.meta or {}
        severity = meta.get("severity", ERROR)
        result = item.result or {}
        message = _exception_message(item.exception_info)
        if message is not None:
            failing, detail = 0, f"could not be evaluated: {message}"
        else:
            failing = 0 if item.success else int(result.get("unexpected_count") or 0)
            detail = _detail(kind, kwargs, result, item.success, previous_rows)
        outcome = ExpectationOutcome(
            expectation=kind,
            column=_column(kwargs),
            severity=severity,
            success=bool(item.success),
            failing_rows=failing,
            detail=detail,
            description=getattr(config, "description", None) or "",
        )
        place = by_id.get(getattr(config, "id", None))
        if place is None:
            place = by_signature.get(_signature(kind, kwargs), len(order) + index)
        rows.append((place, outcome))
    return [outcome for _, outcome in sorted(rows, key=lambda pair: pair[0])]


# ------------------------------------------------------------------------------------------------ validate
def validate(
    connection: duckdb.DuckDBPyConnection,
    suite: Suite | str,
    *,
    as_of: date | datetime | None = None,
    results_dir: Path | str | None = None,
    chunk_rows: int | None = None,
    in_sql: bool = True,
) -> SuiteResult:
    """Validate one suite: read its query through `connection` (the caller's; never opened here), run GX, and when
    `results_dir` is given write the GX result to results_dir/<suite>/<UTC timestamp>.json and latest.json and
    refresh results_dir/index.html. `as_of`: the reference moment for "not in the future" (default now, UTC; a
    date means the end of that day). The row-count bounds compare with results_dir/<suite>/latest.json.
    The expectations SQL can count are judged in the warehouse first (expectations.sql_checks: one query per suite);
    GX validates the rest and explains every failure (`in_sql=False`: GX validates all of them). A frame of more
    than `chunk_rows` rows (default CHUNK_ROWS) is validated in chunks (run_gx_in_chunks)."""
    suite = SUITES[suite] if isinstance(suite, str) else suite
    chunk_rows = CHUNK_ROWS if chunk_rows is None else chunk_rows
    results_dir = Path(results_dir) if results_dir is not None else None
    moment = as_of_datetime(as_of)
    if not table_exists(connection, suite.table):
        # a source that is not configured (or has had no input) never created its raw tables: nothing to check
        reason = f"{suite.table} does not exist (never loaded: its source is not configured or had no input)"
        return SuiteResult(suite.name, suite.table, 0, True, as_of=moment.isoformat(), skipped=reason)
    previous_rows = previous_row_count(results_dir, suite.name) if results_dir is not None else None
    expectations = suite.build(BuildContext(as_of=moment, previous_rows=previous_rows))
    rows = int(connection.execute(f"select count(*) from ({suite.query}) as frame").fetchone()[0])
    # SQL judges on DuckDB (its column types, isnan, regexp_matches); GX judges every expectation elsewhere
    in_sql = in_sql and engine_of(connection) == "duckdb"
    judged = sql_checks.judge(connection, suite.query, expectations, rows) if in_sql else Judged([], expectations)
    if not judged.left:
        gx_result = sql_checks.suite_result(suite.name, judged.passed)
    else:  # what SQL did not pass: GX on a frame of the columns those expectations read
        query = frame_query(connection, suite, judged.left)
        if rows <= chunk_rows:
            frame = utc_frame(connection.execute(query).df())
            gx_result = run_gx(suite.name, judged.left, frame, suite.id_columns)
        else:
            gx_result = run_gx_in_chunks(connection, suite, judged.left, query, rows, chunk_rows)
        sql_checks.restate(gx_result, [*gx_result.results, *judged.passed])
    mask_validation(gx_result)  # emails and phones never reach the results, the index or the run's events in clear
    result = SuiteResult(
        suite=suite.name,
        table=suite.table,
        rows=rows,
        success=bool(gx_result.success),
        outcomes=outcomes_from(gx_result, expectations, previous_rows),
        as_of=moment.isoformat(),
    )
    result.success = all(outcome.success for outcome in result.outcomes)
    if results_dir is not None:
        result.result_path = write_result(results_dir, suite, result, gx_result, previous_rows)
        write_index(results_dir)
    return result


def engine_of(connection: Any) -> str:
    """The kind of warehouse a connection reads: a funnelhouse.warehouse Connection says it; a bare DuckDB
    connection (tests, expectations' CLI) is duckdb."""
    return getattr(connection, "kind", "") or "duckdb"


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether "schema.table" exists in the warehouse the connection reads."""
    schema, name = table.split(".", 1)
    if hasattr(connection, "table_exists"):  # a funnelhouse.warehouse Connection: Spark has no information_schema
        return bool(connection.table_exists(schema, name))
    found = connection.execute(
        "select count(*) from information_schema.tables where lower(table_schema) = ? and lower(table_name) = ?",
        [schema.lower(), name.lower()],
    ).fetchone()
    return bool(found and found[0])


def checked_columns(expectations: Iterable[Any]) -> set[str]:
    """The columns the expectations read (column, column_list, column_A/B of their kwargs)."""
    columns: set[str] = set()
    for expectation in expectations:
        kwargs = dict(expectation.configuration.kwargs)
        columns.update(kwargs.get("column_list") or [])
        columns.update(kwargs[key] for key in ("column", "column_A", "column_B") if kwargs.get(key))
    return columns


def frame_query(connection: duckdb.DuckDBPyConnection, suite: Suite, expectations: Iterable[Any]) -> str:
    """The suite's query cut down to the columns its expectations and row ids read: a table of millions of rows
    is read into pandas with a handful of columns, not all of them. Unknown names are left to GX to report."""
    return _projected(connection, suite.query, checked_columns(expectations) | set(suite.id_columns))


def _projected(connection: duckdb.DuckDBPyConnection, query: str, wanted: set[str]) -> str:
    """`query` keeping only the `wanted` columns that it has (its first column when none of them)."""
    probe = connection.execute(f"select * from ({query}) as frame limit 0")
    available = [column[0] for column in probe.description]
    if set(available) <= wanted:
        return query
    kept = [column for column in available if column in wanted] or available[:1]
    return f"select {_quoted(kept, connection)} from ({query}) as frame"


def _kind(expectation: Any) -> str:
    return expectation.configuration.type


def _quoted(columns: Iterable[str], connection: Any = None) -> str:
    """Column names quoted for the connection's engine (a bare DuckDB connection: standard double quotes)."""
    quote = getattr(connection, "quote", None) or (lambda name: '"' + name.replace('"', '""') + '"')
    return ", ".join(quote(column) for column in columns)


def run_gx_in_chunks(
    connection: duckdb.DuckDBPyConnection, suite: Suite, expectations: list, query: str, rows: int, chunk_rows: int
):
    """Validate a frame too large to hold in pandas at once; the same outcomes as run_gx on the whole frame.

    Row-wise expectations (each row passes or fails alone) run on consecutive chunks of `chunk_rows` rows of
    `query`; a uniqueness expectation runs on its columns split into as many parts by a hash of the key, so that
    equal keys always meet in the same part; the row count runs on a one-byte column. Counts and examples are added
    up per expectation (`rows`: the query's row count). Peak memory is a chunk's, not the table's: the checks of a
    million deals peaked at 2.2 GB instead of 4.0 GB."""
    ids = list(suite.id_columns)
    parts = -(-rows // chunk_rows)
    totals: dict[str, Any] = {}
    suite_result = None

    def run(name: str, subset: list, frames: Iterator[pd.DataFrame]) -> None:
        nonlocal suite_result
        definition = _validation_definition(name, subset)
        for frame in frames:
            part = _run_definition(definition, utc_frame(frame), ids)
            suite_result = suite_result or part
            for item in part.results:
                key = _signature(item.expectation_config.type, dict(item.expectation_config.kwargs))
                if key in totals:
                    _add_chunk_result(totals[key], item)
                else:
                    totals[key] = item

    def chunks(sql: str) -> Iterator[pd.DataFrame]:
        cursor = connection.execute(sql)
        if not hasattr(cursor, "fetch_df_chunk"):  # another engine: chunk_rows rows at a time
            while not (frame := cursor.df(chunk_rows)).empty:
                yield frame
            return
        vectors = max(1, chunk_rows // DUCKDB_VECTOR_ROWS)
        while not (frame := cursor.fetch_df_chunk(vectors)).empty:
            yield frame

    row_wise = [e for e in expectations if _kind(e) in ROW_WISE_EXPECTATIONS]
    if row_wise:
        run(f"{suite.name}__rows", row_wise, chunks(query))
    for index, expectation in enumerate(e for e in expectations if _kind(e) in UNIQUENESS_EXPECTATIONS):
        key = sorted(checked_columns([expectation]))
        columns = _projected(connection, query, set(key) | set(ids))
        if engine_of(connection) != "duckdb":  # DuckDB's hash() splits the key; elsewhere all key columns
            run(f"{suite.name}__unique_{index}", [expectation], iter([connection.execute(columns).df()]))
            continue
        split = f"select * from ({columns}) as frame where hash({_quoted(key)}) % {parts} = "
        run(f"{suite.name}__unique_{index}", [expectation],
            (connection.execute(f"{split}{part}").df() for part in range(parts)))
    rest = [e for e in expectations if _kind(e) not in ROW_WISE_EXPECTATIONS | UNIQUENESS_EXPECTATIONS]
    if rest:  # the row count, and any table-level expectation, on the columns it reads (none: a one-byte column)
        wanted = checked_columns(rest)
        sql = _projected(connection, query, wanted) if wanted else f"select true as counted from ({query}) as frame"
        run(f"{suite.name}__table", rest, iter([connection.execute(sql).df()]))
    return sql_checks.restate(suite_result, list(totals.values()))


def _add_chunk_result(total: Any, item: Any) -> None:
    """Add one chunk's result of a row-wise expectation to the running total (in place)."""
    if _exception_message(total.exception_info) is None and _exception_message(item.exception_info) is not None:
        total.exception_info = item.exception_info
    summed, part = total.result, item.result or {}
    for key in ("element_count", "missing_count", "unexpected_count"):
        summed[key] = (summed.get(key) or 0) + (part.get(key) or 0)
    elements, missing, unexpected = summed["element_count"], summed["missing_count"], summed["unexpected_count"]
    present = elements - missing
    summed["missing_percent"] = 100.0 * missing / elements if elements else None
    summed["unexpected_percent"] = 100.0 * unexpected / present if present else None
    summed["unexpected_percent_total"] = 100.0 * unexpected / elements if elements else None
    summed["unexpected_percent_nonmissing"] = summed["unexpected_percent"]
    for key in ("partial_unexpected_list", "partial_unexpected_index_list"):
        if key in part or key in summed:
            summed[key] = [*(summed.get(key) or []), *(part.get(key) or [])][:PARTIAL_UNEXPECTED_COUNT]
    if "partial_unexpected_counts" in part or "partial_unexpected_counts" in summed:
        counts: dict[str, dict[str, Any]] = {}
        entries = [*(summed.get("partial_unexpected_counts") or []), *(part.get("partial_unexpected_counts") or [])]
        for entry in entries:
            key = repr(entry.get("value"))
            counts.setdefault(key, {"value": entry.get("value"), "count": 0})["count"] += entry.get("count", 0)
        ordered = sorted(counts.values(), key=lambda entry: -entry["count"])
        summed["partial_unexpected_counts"] = ordered[:PARTIAL_UNEXPECTED_COUNT]
    total.success = bool(total.success and item.success)


def validate_all(
    connection: duckdb.DuckDBPyConnection,
    suites: Iterable[Suite | str] | None = None,
    *,
    as_of: date | datetime | None = None,
    results_dir: Path | str | None = None,
) -> list[SuiteResult]:
    """validate() every suite (default: all of SUITES, in order)."""
    return [
        validate(connection, suite, as_of=as_of, results_dir=results_dir)
        for suite in (SUITES.values() if suites is None else suites)
    ]


# ------------------------------------------------------------------------------------------------ files
def _write_atomic(path: Path, text: str) -> None:
    """Write then rename, so that a reader (or a check running in parallel) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read_latest(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return document["meta"]["funnelhouse"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("ignoring unreadable GX result %s: %s", path, error)
        return None


def previous_row_count(results_dir: Path | str, suite_name: str) -> int | None:
    """Rows of the suite's previous validation (results_dir/<suite>/latest.json), None if there is none."""
    latest = _read_latest(Path(results_dir) / suite_name / LATEST_FILE)
    rows = latest.get("rows") if latest else None
    return rows if isinstance(rows, int) else None


def write_result(
    results_dir: Path, suite: Suite, result: SuiteResult, gx_result: Any, previous_rows: int | None
) -> Path:
    """The full GX validation result as JSON, with this run's summary under meta.funnelhouse."""
    document = gx_result.to_json_dict()
    document.setdefault("meta", {})["funnelhouse"] = {
        **result.to_dict(),
        "result_path": None,
        "description": suite.description,
        "previous_rows": previous_rows,
        "query": suite.query.strip(),
        "validated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    folder = results_dir / suite.name
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}.json"
    _write_atomic(path, text)
    _write_atomic(folder / LATEST_FILE, text)
    history = sorted(p for p in folder.glob("*.json") if p.name != LATEST_FILE)
    for old in history[:-HISTORY_KEEP]:
        old.unlink(missing_ok=True)
    return path


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .4em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
.ok { color: #17803d; font-weight: 600; } .warn { color: #a36300; font-weight: 600; }
.error { color: #b3261e; font-weight: 600; } ul { margin: 0; padding-left: 1.2em; }
small { color: #666; }
"""


def write_index(results_dir: Path | str) -> Path:
    """results_dir/index.html: every suite's latest result (suite, table, rows, status, failed expectations)."""
    results_dir = Path(results_dir)
    entries = []
    for latest in sorted(results_dir.glob(f"*/{LATEST_FILE}")):
        summary = _read_latest(latest)
        if summary:
            entries.append((latest, summary))
    lines = []
    for latest, summary in entries:
        failed = [o for o in summary.get("outcomes", []) if not o.get("success")]
        if summary.get("blocking"):
            status = '<span class="error">ERROR</span>'
        elif failed:
            status = '<span class="warn">WARN</span>'
        else:
            status = '<span class="ok">passed</span>'
        items = "".join(
            f"<li><b>{html.escape(o['severity'])}</b> {html.escape(o['expectation'])}"
            f"{' (' + html.escape(o['column']) + ')' if o.get('column') else ''}"
            f"{': ' + str(o['failing_rows']) + ' rows' if o.get('failing_rows') else ''}"
            f"<br><small>{html.escape(o.get('description') or '')} — "
            f"{html.escape(o.get('detail') or '')}</small></li>"
            for o in failed
        )
        link = html.escape(latest.relative_to(results_dir).as_posix())
        lines.append(
            "<tr>"
            f"<td><a href=\"{link}\">{html.escape(summary.get('suite', latest.parent.name))}</a>"
            f"<br><small>{html.escape(summary.get('description') or '')}</small></td>"
            f"<td>{html.escape(summary.get('table', ''))}</td>"
            f"<td>{summary.get('rows', '')}</td>"
            f"<td>{status}<br><small>{len(summary.get('outcomes', [])) - len(failed)}/"
            f"{len(summary.get('outcomes', []))} passed</small></td>"
            f"<td>{'<ul>' + items + '</ul>' if items else '—'}</td>"
            f"<td><small>as of {html.escape(str(summary.get('as_of', '')))}<br>"
            f"validated {html.escape(str(summary.get('validated_at') or _mtime(latest)))}</small></td>"
            "</tr>"
        )
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>funnelhouse · Great Expectations results</title>
<style>{_STYLE}</style></head>
<body>
<h1>Great Expectations results</h1>
<p>Latest validation of every suite (expectations/). A failed <span class="error">ERROR</span> expectation blocks
the assets downstream of the table; a failed <span class="warn">WARN</span> one is reported only. Each suite links
to its full GX validation result (JSON); earlier runs are kept beside it. Generated {generated}.</p>
<table>
<thead><tr><th>suite</th><th>table</th><th>rows</th><th>status</th><th>failed expectations</th><th>run</th></tr></thead>
<tbody>
{chr(10).join(lines) if lines else '<tr><td colspan="6">no results yet</td></tr>'}
</tbody></table>
</body></html>
"""
    path = results_dir / INDEX_FILE
    _write_atomic(path, page)
    return path


def _mtime(path: Path) -> str:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except OSError:
        return ""
