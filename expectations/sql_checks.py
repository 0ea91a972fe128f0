"""Judge in the warehouse, by one aggregate query per suite, the expectations SQL can count; GX explains failures.

Row-wise expectations (not null, null, in set, between, regex) and the row count are counted in one query over the
suite's query, each uniqueness expectation in one grouped query. An expectation with no unexpected row passes, its
result written as GX writes a passing one (the same element and missing counts, no examples); the others go to GX:
one with unexpected rows (GX lists the values and the row ids), one SQL cannot say exactly (a regex with look-around,
which DuckDB's RE2 cannot run; a value set of another type than the column), every other kind, and all of them when
the frame is empty. So SQL only ever says "passes" where GX would: it counts NaN as null where pandas does, groups
nulls together for uniqueness, and treats any value it cannot judge as unexpected.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

NOT_NULL = "expect_column_values_to_not_be_null"
BE_NULL = "expect_column_values_to_be_null"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
REGEX = "expect_column_values_to_match_regex"
UNIQUE = "expect_column_values_to_be_unique"
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
ROW_COUNT = "expect_table_row_count_to_be_between"
# what RE2 (DuckDB's regex engine) does not run, or runs otherwise than Python's re: look-around, back-references
NOT_RE2 = re.compile(r"\(\?[=!<]|\(\?P|\\[1-9]")
FLOATS = ("FLOAT", "DOUBLE", "REAL")
NUMBERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
           "UHUGEINT", "DECIMAL", *FLOATS)
TIMES = ("DATE", "TIMESTAMP")


@dataclass
class Judged:
    """What SQL decided for a suite: GX results of the expectations that pass, the expectations left to GX."""

    passed: list[Any]
    left: list[Any]


def judge(connection: duckdb.DuckDBPyConnection, query: str, expectations: list[Any], rows: int) -> Judged:
    """Count every expectation SQL can count over `query` (`rows` rows); see the module's docstring."""
    if rows == 0:
        return Judged([], list(expectations))
    types = _column_types(connection, query)
    predicates: list[tuple[Any, str]] = []  # row-wise: (expectation, SQL true on an unexpected row)
    unexpected: dict[int, int] = {}  # id(expectation) → unexpected rows
    for expectation in expectations:
        kind, sql = _unexpected_sql(expectation, types, query, rows)
        if kind == "row":
            predicates.append((expectation, sql))
        elif kind == "query":
            unexpected[id(expectation)] = int(connection.execute(sql).fetchone()[0])
        elif kind == "count":
            unexpected[id(expectation)] = int(sql)
    columns = sorted({column for expectation, _ in predicates for column in _columns(expectation)})
    present: dict[str, int] = {}
    if predicates:  # one scan of the frame for every row-wise expectation
        counts = [f"count(*) filter (where {sql})" for _, sql in predicates]
        counts += [f"count({_quoted(column)})" for column in columns]
        values = connection.execute(f"select {', '.join(counts)} from ({query}) as frame").fetchone()
        unexpected.update((id(expectation), int(value)) for (expectation, _), value in zip(predicates, values))
        present = dict(zip(columns, values[len(predicates):]))
    passed = [_passing_result(e, rows, present) for e in expectations if unexpected.get(id(e)) == 0]
    return Judged(passed, [e for e in expectations if unexpected.get(id(e)) != 0])


def _column_types(connection: duckdb.DuckDBPyConnection, query: str) -> dict[str, str]:
    described = connection.execute(f"describe select * from ({query}) as frame").fetchall()
    return {row[0]: str(row[1]).upper() for row in described}


def _columns(expectation: Any) -> list[str]:
    kwargs = expectation.configuration.kwargs
    return [kwargs["column"]] if kwargs.get("column") else []


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _is(kind: str, family: tuple[str, ...]) -> bool:
    return any(kind == name or kind.startswith(name + "(") or kind.startswith(name + " ") for name in family)


def _unexpected_sql(expectation: Any, types: dict[str, str], query: str, rows: int) -> tuple[str | None, Any]:
    """How SQL counts what `expectation` finds unexpected: ("row", a predicate true on an unexpected row),
    ("query", a query returning the count), ("count", the count itself), or (None, None): not exactly in SQL."""
    config = expectation.configuration
    kind, kwargs = config.type, dict(config.kwargs)
    if kind == ROW_COUNT:
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        return "count", int((low is not None and rows < low) or (high is not None and rows > high))
    if kind in (UNIQUE, COMPOUND_UNIQUE):
        keys = [kwargs.get("column")] if kind == UNIQUE else list(kwargs.get("column_list") or [])
        if not keys or any(key not in types for key in keys):
            return None, None
        listed = ", ".join(map(_quoted, keys))
        where = f" where {_quoted(keys[0])} is not null" if kind == UNIQUE else ""  # compound: nulls grouped too
        return "query", (f"select count(*) from (select {listed} from ({query}) as frame{where} group by {listed} "
                         f"having count(*) > 1) as duplicated")
    column = kwargs.get("column")
    if column not in types or kwargs.get("row_condition"):
        return None, None
    name, column_type = _quoted(column), types[column]
    missing = f"({name} is null or isnan({name}))" if _is(column_type, FLOATS) else f"{name} is null"
    bad = None
    if kind == NOT_NULL:
        bad = missing
    elif kind == BE_NULL:
        bad = f"not {missing}"
    elif kind == IN_SET:
        values = _literals(kwargs.get("value_set") or [], column_type)
        bad = values and f"not {missing} and {name} not in ({values})"
    elif kind == BETWEEN:
        outside = _outside(name, column_type, kwargs)
        bad = outside and f"not {missing} and ({outside})"
    elif kind == REGEX:
        regex = kwargs.get("regex")
        if isinstance(regex, str) and not NOT_RE2.search(regex) and _is(column_type, ("VARCHAR",)):
            bad = f"{name} is not null and not regexp_matches({name}, {_string(regex)})"
    return ("row", bad) if bad else (None, None)


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _literals(values: list[Any], column_type: str) -> str | None:
    """The value set as SQL literals of the column's type; None when the types differ or the set is empty."""
    if not values:
        return None
    if all(isinstance(v, bool) for v in values) and column_type == "BOOLEAN":
        return ", ".join("true" if v else "false" for v in values)
    if all(isinstance(v, str) for v in values) and _is(column_type, ("VARCHAR",)):
        return ", ".join(map(_string, values))
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values) and _is(column_type, NUMBERS):
        return ", ".join(repr(v) for v in values)
    return None


def _outside(name: str, column_type: str, kwargs: dict[str, Any]) -> str | None:
    """SQL true where a value lies outside [min_value, max_value] (strict where asked); None when not exact."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is None and high is None:
        return None
    parts = []
    for bound, strict, below in ((low, kwargs.get("strict_min"), True), (high, kwargs.get("strict_max"), False)):
        if bound is None:
            continue
        literal = _bound(bound, column_type)
        if literal is None:
            return None
        operator = ("<=" if strict else "<") if below else (">=" if strict else ">")
        parts.append(f"{name} {operator} {literal}")
    return " or ".join(parts)


def _bound(value: Any, column_type: str) -> str | None:
    """A bound as a literal comparable with the column as GX compares them (date/time columns are in UTC)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and _is(column_type, NUMBERS):
        return repr(value)
    if isinstance(value, datetime) and value.tzinfo is not None and _is(column_type, TIMES):
        moment = value.astimezone(timezone.utc)
        if "WITH TIME ZONE" in column_type:
            return f"cast('{moment.isoformat()}' as timestamptz)"
        return f"cast('{moment.replace(tzinfo=None).isoformat()}' as timestamp)"  # naive: taken as UTC
    return None


def _passing_result(expectation: Any, rows: int, present: dict[str, int]) -> Any:
    """The GX result of an expectation found without unexpected rows, as GX writes it for a passing one."""
    from great_expectations.core import ExpectationValidationResult

    config = expectation.configuration
    kind, column = config.type, config.kwargs.get("column")
    if kind == ROW_COUNT:
        result: dict[str, Any] = {"observed_value": rows}
    else:
        result = {"element_count": rows, "unexpected_count": 0, "unexpected_percent": 0.0}
        if kind not in (NOT_NULL, BE_NULL, UNIQUE, COMPOUND_UNIQUE) and column in present:
            missing = rows - int(present[column])
            result.update(missing_count=missing, missing_percent=100.0 * missing / rows,
                          unexpected_percent_total=0.0, unexpected_percent_nonmissing=0.0)
        result.update(partial_unexpected_list=[], partial_unexpected_counts=[], partial_unexpected_index_list=[])
    return ExpectationValidationResult(
        success=True, expectation_config=config, result=result, meta={"evaluated_by": "sql"},
        exception_info={"raised_exception": False, "exception_traceback": None, "exception_message": None},
    )


def suite_result(name: str, results: list[Any]) -> Any:
    """A GX suite result of `results` alone (every expectation was judged in SQL)."""
    from great_expectations.core import ExpectationSuiteValidationResult

    return restate(ExpectationSuiteValidationResult(success=True, results=[], suite_name=name), results)


def restate(suite_result: Any, results: list[Any]) -> Any:
    """`suite_result` holding `results`, its success and statistics recounted (in place; returned)."""
    suite_result.results = results
    passed = sum(1 for item in results if item.success)
    suite_result.success = passed == len(results)
    suite_result.statistics = {
        **(suite_result.statistics or {}),
        "evaluated_expectations": len(results),
        "successful_expectations": passed,
        "unsuccessful_expectations": len(results) - passed,
        "success_percent": 100.0 * passed / len(results) if results else None,
    }
    return suite_result
