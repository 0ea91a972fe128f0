"""Alerts to a generic webhook, Slack, 企业微信, 钉钉 and email, configured from FUNNELHOUSE_ALERT_* env vars."""
from __future__ import annotations

from funnelhouse.notify.channels import Delivery, send
from funnelhouse.notify.messages import Notification, check_failed, run_failed, stale_deals_digest
from funnelhouse.notify.settings import NotifyConfigError, NotifySettings, SmtpSettings

__all__ = [
    "Delivery",
    "Notification",
    "NotifyConfigError",
    "NotifySettings",
    "SmtpSettings",
    "check_failed",
    "run_failed",
    "send",
    "stale_deals_digest",
]
