"""Schedules: the nightly refresh (default 02:00 Asia/Shanghai) and the daily stale-deals digest (09:00)."""
import os

import dagster as dg

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_REFRESH_CRON = "0 2 * * *"
DEFAULT_DIGEST_CRON = "0 9 * * *"


def schedules(refresh, digest) -> list:
    """Env FUNNELHOUSE_REFRESH_CRON, FUNNELHOUSE_DIGEST_CRON and FUNNELHOUSE_TIMEZONE override the defaults."""
    timezone = os.environ.get("FUNNELHOUSE_TIMEZONE", DEFAULT_TIMEZONE)
    return [
        dg.ScheduleDefinition(
            name="nightly_refresh",
            job=refresh,
            cron_schedule=os.environ.get("FUNNELHOUSE_REFRESH_CRON", DEFAULT_REFRESH_CRON),
            execution_timezone=timezone,
            default_status=dg.DefaultScheduleStatus.RUNNING,
        ),
        dg.ScheduleDefinition(
            name="daily_stale_deals_digest",
            job=digest,
            cron_schedule=os.environ.get("FUNNELHOUSE_DIGEST_CRON", DEFAULT_DIGEST_CRON),
            execution_timezone=timezone,
            default_status=dg.DefaultScheduleStatus.RUNNING,
        ),
    ]
