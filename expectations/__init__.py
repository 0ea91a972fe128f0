"""Great Expectations suites, written as code, validating DataFrames read from the warehouse.

    from expectations import SUITES, suites_for_table, validate
    result = validate(connection, "raw_hubspot__deals", as_of=..., results_dir=data_dir / "quality" / "gx")
    result.blocking      # a failed ERROR expectation: block the assets downstream
    result.warnings      # failed WARN expectations: record and report

No dagster here: the asset checks in orchestration/ call this library. GX is imported on first validation only.
"""
from expectations.rules import (
    ERROR,
    FUTURE_SLACK,
    ROW_COUNT_MAX_GROWTH,
    ROW_COUNT_MAX_SHRINK,
    WARN,
    BuildContext,
)
from expectations.runner import (
    ExpectationOutcome,
    SuiteResult,
    gx_context,
    previous_row_count,
    validate,
    validate_all,
    write_index,
)
from expectations.suites import SUITES, Suite, suites_for_table

__all__ = [
    "ERROR",
    "FUTURE_SLACK",
    "ROW_COUNT_MAX_GROWTH",
    "ROW_COUNT_MAX_SHRINK",
    "SUITES",
    "WARN",
    "BuildContext",
    "ExpectationOutcome",
    "Suite",
    "SuiteResult",
    "gx_context",
    "previous_row_count",
    "suites_for_table",
    "validate",
    "validate_all",
    "write_index",
]
