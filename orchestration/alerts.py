"""Alerting sensors: any failed run is announced on the configured channels (funnelhouse.notify)."""
import dagster as dg

from orchestration.resources import send_alert


@dg.run_failure_sensor(name="alert_on_run_failure", default_status=dg.DefaultSensorStatus.RUNNING,
                       monitor_all_code_locations=False)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    from funnelhouse.notify import run_failed

    error = context.failure_event.message or "the run failed"
    send_alert(run_failed(context.dagster_run.job_name, context.dagster_run.run_id, error))
