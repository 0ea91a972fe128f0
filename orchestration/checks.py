"""Asset checks: the Great Expectations suites of expectations/ on raw tables and marts."""
import dagster as dg

from orchestration.resources import AlertsResource, FunnelhouseResource, WarehouseResource


def gx_check(suite) -> dg.AssetChecksDefinition:
    """The suite as a blocking asset check: a failed ERROR expectation stops the assets downstream in the run;
    failed WARN expectations are recorded (severity WARN) and reported. Either failure alerts the channels."""
    schema, table = suite.table.split(".")

    @dg.asset_check(
        asset=dg.AssetKey([schema, table]),
        name=f"gx_{suite.name}",
        blocking=True,
        description=f"Great Expectations suite {suite.name} on {suite.table}",
    )
    def _check(funnelhouse: FunnelhouseResource, warehouse: WarehouseResource,
               alerts: AlertsResource) -> dg.AssetCheckResult:
        from expectations import validate
        from funnelhouse.notify import check_failed

        with warehouse.connect() as connection:
            result = validate(connection, suite, as_of=funnelhouse.as_of_end(),
                              results_dir=funnelhouse.quality_dir() / "gx")
        if result.skipped:  # the table was never loaded: reported as skipped, not failed
            return dg.AssetCheckResult(passed=True, metadata={"skipped": result.skipped, "rows": 0,
                                                              "summary": result.summary()})
        severity = dg.AssetCheckSeverity.ERROR if result.blocking else dg.AssetCheckSeverity.WARN
        failed = [o for o in result.outcomes if not o.success]
        if failed:
            alerts.send(check_failed(f"gx_{suite.name}", "/".join((schema, table)), result.failing_rows,
                                     severity.value, result.summary()))
        return dg.AssetCheckResult(
            passed=result.success,
            severity=severity,
            metadata={
                "rows": result.rows,
                "failing_rows": result.failing_rows,
                "failed_expectations": dg.MetadataValue.md(
                    "\n".join(f"- {o.severity} {o.expectation} {o.column or ''}: {o.failing_rows} rows — {o.detail}"
                              for o in failed) or "none"
                ),
                "summary": result.summary(),
            },
        )

    return _check


def gx_checks() -> list[dg.AssetChecksDefinition]:
    """A check per suite; a suite on a raw table sits on it once the dbt sources declare the table (the raw tables
    are assets from there: orchestration.assets.raw_tables), never on an asset of its own making."""
    from expectations import SUITES
    from orchestration.assets.raw_tables import raw_tables

    declared = raw_tables()
    return [gx_check(suite) for suite in SUITES.values()
            if not suite.schema_name.startswith("raw_") or suite.table_name in declared.get(suite.schema_name, {})]
