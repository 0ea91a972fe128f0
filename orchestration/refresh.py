"""Run the refresh job in-process (the demo, the CLI and tests) and report each asset's status and each check."""
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from ingestion.common.explain import step_failure_cause
from ingestion.pipeline import LoadSummary
from orchestration.assets.dbt import FULL_REFRESH_TAG
from orchestration.assets.ingestion import summary_from_metadata
from orchestration.progress import refresh_progress
from orchestration.resources import FunnelhouseResource


@dataclass(frozen=True)
class CheckOutcome:
    asset: str
    check: str
    passed: bool
    severity: str
    summary: str

    @property
    def is_gx(self) -> bool:
        return self.check.startswith("gx_")


@dataclass
class RefreshOutcome:
    """What a refresh run did: the run, materialized and skipped assets, every check's result, the load tallies."""

    run_id: str
    success: bool
    materialized: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    load_summaries: list[LoadSummary] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""
    log_file: Path | None = None

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed]


def _check_summary(evaluation: dg.AssetCheckEvaluation) -> str:
    metadata = evaluation.metadata or {}
    if "summary" in metadata:
        return str(metadata["summary"].value)
    if "dagster_dbt/failed_row_count" in metadata:
        return f"{metadata['dagster_dbt/failed_row_count'].value} failing rows"
    return ""


def _load_summaries(result: dg.ExecuteInProcessResult) -> tuple[list[LoadSummary], list[str]]:
    summaries, errors = [], []
    for event in result.get_asset_materialization_events():
        key = event.asset_key.path
        metadata = event.materialization.metadata
        if key[-1] == "reconciliation" and "tallies" in metadata:
            summary, file_errors = summary_from_metadata(key[0].removeprefix("raw_"), metadata)
            summaries.append(summary)
            errors.extend(file_errors)
    return summaries, errors


def run_refresh(
    funnelhouse: FunnelhouseResource | None = None,
    instance: dg.DagsterInstance | None = None,
    *,
    full_refresh: bool = False,
    job_name: str = "refresh",
    log_file: Path | None = None,
) -> RefreshOutcome:
    """Execute `job_name` of the funnelhouse Definitions in this process; never raises for a failed step.

    With `log_file`, Dagster's and dbt's logs go to that file and the terminal shows progress (per asset)."""
    from dagster._core.utils import make_new_run_id

    from orchestration.definitions import build_definitions

    defs = build_definitions(funnelhouse)
    job = defs.resolve_job_def(job_name)
    started = time.perf_counter()
    run_config = {}
    instance = instance or dg.DagsterInstance.ephemeral()
    run_id = make_new_run_id()
    with contextlib.ExitStack() as stack:
        if log_file is not None:  # the terminal shows progress instead of the logs (orchestration.progress)
            stack.enter_context(refresh_progress(instance, run_id, len(job.asset_layer.selected_asset_keys)))
            log_file.parent.mkdir(parents=True, exist_ok=True)
            stream = stack.enter_context(log_file.open("a", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(stream))
            stack.enter_context(contextlib.redirect_stderr(stream))
            run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            raise_on_error=False,
            run_config=run_config,
            tags={FULL_REFRESH_TAG: "true"} if full_refresh else {},
        )
    materialized = sorted({e.asset_key.to_user_string() for e in result.get_asset_materialization_events()})
    planned = sorted(key.to_user_string() for key in job.asset_layer.selected_asset_keys)
    checks = [
        CheckOutcome(e.asset_key.to_user_string(), e.check_name, e.passed, e.severity.value, _check_summary(e))
        for e in result.get_asset_check_evaluations()
    ]
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    summaries, file_errors = _load_summaries(result)
    return RefreshOutcome(
        run_id=result.run_id,
        success=result.success,
        materialized=materialized,
        skipped=[key for key in planned if key not in materialized],
        checks=sorted(checks, key=lambda c: (c.asset, c.check)),
        load_summaries=summaries,
        file_errors=file_errors,
        seconds=time.perf_counter() - started,
        error=step_failure_cause(failures[0]) if failures else "",
        log_file=log_file,
    )
