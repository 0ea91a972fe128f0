"""Run the refresh job in-process (the demo, the CLI and tests) and report each asset's status and each check.

On a persistent instance a refresh first recovers what a killed one left (orchestration.run_guard) and refuses while
another runs; SIGTERM / SIGINT stop it cleanly and a wait for a concurrency slot is bounded (orchestration.run_watch).
"""
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from ingestion.common.explain import step_failure_cause
from ingestion.pipeline import LoadSummary
from orchestration.assets.dbt import FULL_REFRESH_TAG
from orchestration.assets.ingestion import summary_from_metadata
from orchestration.progress import refresh_progress
from orchestration.resources import FunnelhouseResource
from orchestration.run_guard import LOG_TAG, RunProcess, marked_processes, recover, refresh_lock
from orchestration.run_watch import RefreshStopped, RunWatch, _Interrupted


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
    recovered: list[str] = field(default_factory=list)  # runs of killed refreshes marked failed, slots freed

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
    log_dir: Path | None = None,
    announce: Callable[[Path | None, list[str]], None] | None = None,
) -> RefreshOutcome:
    """Execute `job_name` of the funnelhouse Definitions in this process; never raises for a failed step.

    With `log_file`, Dagster's and dbt's logs go to that file and the terminal shows progress per asset; with
    `log_dir`, to a file of this run alone there, refresh-<UTC time>-<run id>.log. `announce(log file, recovered)`
    is called once the run may start (no other refresh runs), with one line per run of a killed refresh it marked
    failed. On a persistent instance it raises RefreshRunning (one line naming it) while another refresh runs, and
    first marks failed the runs of refreshes that were killed, freeing their concurrency slots. SIGTERM / SIGINT mark the run canceled, free its
    slots and raise RefreshStopped (a SystemExit with code 143 / 130) after printing one line to stderr."""
    from dagster._core.utils import make_new_run_id

    instance = instance or dg.DagsterInstance.ephemeral()
    run_id = make_new_run_id()
    outcome, recovered = None, []
    if log_dir is not None:
        log_file = log_dir / f"refresh-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}-{run_id[:8]}.log"
    with contextlib.ExitStack() as guard:
        if not instance.is_ephemeral:
            guard.enter_context(refresh_lock(instance, run_id, log_file))
            recovered = recover(instance)
        if announce is not None:
            announce(log_file, recovered)
        guard.enter_context(marked_processes(run_id))  # a dbt left behind by a killed refresh is found by the next
        watch = guard.enter_context(RunWatch(instance, run_id))
        try:
            outcome = _execute(funnelhouse, instance, run_id, full_refresh, job_name, log_file)
        except _Interrupted:
            pass
        finally:
            if instance.event_log_storage.supports_global_concurrency_limits:
                instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    if watch.signum is not None:
        raise _stopped(instance, run_id, watch.signum, log_file)
    outcome.recovered = recovered
    if watch.slot_error:
        outcome.error = watch.slot_error
    return outcome


def _stopped(instance: dg.DagsterInstance, run_id: str, signum: int, log_file: Path | None) -> RefreshStopped:
    """Mark the run canceled (when Dagster has not), print one line, and return the exception that exits."""
    name = signal.Signals(signum).name
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        instance.report_run_canceled(run, f"{name} received: the refresh stopped")
    run = instance.get_run_by_id(run_id)
    state = f"run {run_id} {run.status.value.lower()}" if run else "no run had started"
    message = (f"refresh stopped by {name}: {state}, its concurrency slots freed; run the refresh again to continue"
               + (f" (log {log_file})" if log_file else ""))
    print(message, file=sys.stderr, flush=True)
    return RefreshStopped(signum, message)


def _execute(funnelhouse, instance, run_id, full_refresh, job_name, log_file) -> RefreshOutcome:
    from orchestration.definitions import build_definitions

    defs = build_definitions(funnelhouse)
    job = defs.resolve_job_def(job_name)
    started = time.perf_counter()
    run_config = {}
    tags = {**RunProcess.current().tags(), **({FULL_REFRESH_TAG: "true"} if full_refresh else {})}
    with contextlib.ExitStack() as stack:
        if log_file is not None:  # the terminal shows progress instead of the logs (orchestration.progress)
            stack.enter_context(refresh_progress(instance, run_id, len(job.asset_layer.selected_asset_keys)))
            log_file.parent.mkdir(parents=True, exist_ok=True)
            stream = stack.enter_context(log_file.open("a", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(stream))
            stack.enter_context(contextlib.redirect_stderr(stream))
            run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
            tags[LOG_TAG] = str(log_file)
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=run_config,
            run_id=run_id,
            tags=tags,
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
