"""Alert channels configured from FUNNELHOUSE_ALERT_* env vars; nothing is configured unless a var is set."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import urlsplit

from ingestion.common.errors import FunnelhouseError

PREFIX = "FUNNELHOUSE_ALERT_"
WEBHOOK_URL = PREFIX + "WEBHOOK_URL"
SLACK_WEBHOOK_URL = PREFIX + "SLACK_WEBHOOK_URL"
WECOM_WEBHOOK_URL = PREFIX + "WECOM_WEBHOOK_URL"
DINGTALK_WEBHOOK_URL = PREFIX + "DINGTALK_WEBHOOK_URL"
DINGTALK_SECRET = PREFIX + "DINGTALK_SECRET"
SMTP_HOST = PREFIX + "SMTP_HOST"
SMTP_PORT = PREFIX + "SMTP_PORT"
SMTP_STARTTLS = PREFIX + "SMTP_STARTTLS"
SMTP_USER = PREFIX + "SMTP_USER"
SMTP_PASSWORD = PREFIX + "SMTP_PASSWORD"
SMTP_FROM = PREFIX + "SMTP_FROM"
EMAIL_TO = PREFIX + "EMAIL_TO"
TIMEOUT_SECONDS = PREFIX + "TIMEOUT_SECONDS"

CHANNELS = ("webhook", "slack", "wecom", "dingtalk", "email")
DEFAULT_SMTP_PORT = 25
IMPLICIT_TLS_PORT = 465
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_FROM = "funnelhouse@localhost"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class NotifyConfigError(FunnelhouseError):
    """An alert env var has a value that cannot be used; the message names the var, never its secret value."""


def safe_url(url: str) -> str:
    """scheme://host[:port] of a URL: webhook URLs carry their token in the path or query, so show only this."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send alert emails."""

    host: str
    port: int = DEFAULT_SMTP_PORT
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = DEFAULT_FROM
    recipients: tuple[str, ...] = ()

    @property
    def implicit_tls(self) -> bool:
        return self.port == IMPLICIT_TLS_PORT

    def describe(self) -> str:
        security = "SSL" if self.implicit_tls else "STARTTLS" if self.starttls else "plain"
        auth = ", auth" if self.user else ""
        count = len(self.recipients)
        return f"email via {self.host}:{self.port} ({security}{auth}) to {count} recipient{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class NotifySettings:
    """The configured alert channels; a channel whose setting is None sends nothing."""

    webhook_url: str | None = field(default=None, repr=False)
    slack_webhook_url: str | None = field(default=None, repr=False)
    wecom_webhook_url: str | None = field(default=None, repr=False)
    dingtalk_webhook_url: str | None = field(default=None, repr=False)
    dingtalk_secret: str | None = field(default=None, repr=False)
    smtp: SmtpSettings | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NotifySettings:
        """Read the FUNNELHOUSE_ALERT_* vars (default: os.environ); raise NotifyConfigError on a bad value."""
        env = _Env(os.environ if environ is None else environ)
        dingtalk_url = env.url(DINGTALK_WEBHOOK_URL)
        dingtalk_secret = env.get(DINGTALK_SECRET)
        if dingtalk_secret and not dingtalk_url:
            raise NotifyConfigError(f"{DINGTALK_SECRET}: set, but {DINGTALK_WEBHOOK_URL} is not")
        return cls(
            webhook_url=env.url(WEBHOOK_URL),
            slack_webhook_url=env.url(SLACK_WEBHOOK_URL),
            wecom_webhook_url=env.url(WECOM_WEBHOOK_URL),
            dingtalk_webhook_url=dingtalk_url,
            dingtalk_secret=dingtalk_secret,
            smtp=_smtp_from_env(env),
            timeout_seconds=env.positive_float(TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS),
        )

    def channel_urls(self) -> dict[str, str]:
        """The configured webhook channels and their URLs (secret: never print them)."""
        urls = {"webhook": self.webhook_url, "slack": self.slack_webhook_url, "wecom": self.wecom_webhook_url,
                "dingtalk": self.dingtalk_webhook_url}
        return {channel: url for channel, url in urls.items() if url}

    def configured_channels(self) -> list[str]:
        """Names of the channels that will receive notifications, in sending order."""
        configured = set(self.channel_urls()) | ({"email"} if self.smtp else set())
        return [channel for channel in CHANNELS if channel in configured]

    def describe(self) -> str:
        """One secret-free line: which channels are configured and where they point (scheme://host only)."""
        parts = []
        for channel, url in self.channel_urls().items():
            signed = " (signed)" if channel == "dingtalk" and self.dingtalk_secret else ""
            parts.append(f"{channel} {safe_url(url)}{signed}")
        if self.smtp:
            parts.append(self.smtp.describe())
        if not parts:
            return f"alerts: no channel configured (set {PREFIX}* env vars to send)"
        return "alerts: " + ", ".join(parts) + f"; timeout {self.timeout_seconds:g} s"

    def secrets(self) -> list[str]:
        """Every configured secret value (webhook URLs, DingTalk secret, SMTP password), for redaction."""
        values = [*self.channel_urls().values(), self.dingtalk_secret, self.smtp.password if self.smtp else None]
        return [value for value in values if value]


class _Env:
    """Typed, validated reads of env vars; error messages name the var and never echo its value."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def get(self, name: str) -> str | None:
        value = self.environ.get(name, "").strip()
        return value or None

    def url(self, name: str) -> str | None:
        value = self.get(name)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise NotifyConfigError(f"{name}: must be an http:// or https:// URL")
        try:
            parts.port
        except ValueError:
            raise NotifyConfigError(f"{name}: the URL's port is not a number from 1 to 65535") from None
        return value

    def port(self, name: str, default: int) -> int:
        value = self.get(name)
        if value is None:
            return default
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            raise NotifyConfigError(f"{name}: must be a port number from 1 to 65535, got {value!r}")
        return int(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        raise NotifyConfigError(f"{name}: must be true or false, got {value!r}")

    def positive_float(self, name: str, default: float) -> float:
        value = self.get(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not 0 < number <= 3600:
            raise NotifyConfigError(f"{name}: must be a number of seconds above 0 and at most 3600, got {value!r}")
        return number

    def addresses(self, name: str) -> tuple[str, ...]:
        addresses = tuple(part.strip() for part in (self.get(name) or "").split(",") if part.strip())
        for position, address in enumerate(addresses, start=1):
            if not _looks_like_address(address):
                raise NotifyConfigError(f"{name}: address {position} is not an email address (name@domain)")
        return addresses


def envelope_address(address: str) -> str:
    """The bare name@domain of an address that may carry a display name ("Alerts <alerts@example.com>")."""
    return parseaddr(address)[1]


def _looks_like_address(address: str) -> bool:
    bare = envelope_address(address)
    local, at, domain = bare.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() or c in "<>,;\"" for c in bare)


def _smtp_from_env(env: _Env) -> SmtpSettings | None:
    host, recipients = env.get(SMTP_HOST), env.addresses(EMAIL_TO)
    if not host and not recipients:
        return None
    if not host:
        raise NotifyConfigError(f"{EMAIL_TO}: set, but {SMTP_HOST} is not")
    if not recipients:
        raise NotifyConfigError(f"{SMTP_HOST}: set, but {EMAIL_TO} is not")
    port, starttls = env.port(SMTP_PORT, DEFAULT_SMTP_PORT), env.flag(SMTP_STARTTLS, False)
    if starttls and port == IMPLICIT_TLS_PORT:
        raise NotifyConfigError(f"{SMTP_STARTTLS}: must be false with port {IMPLICIT_TLS_PORT} (implicit TLS)")
    user, password = env.get(SMTP_USER), env.get(SMTP_PASSWORD)
    _check_credentials(host, port, starttls, user, password)
    sender = env.get(SMTP_FROM) or (user if user and _looks_like_address(user) else DEFAULT_FROM)
    if not _looks_like_address(sender):
        raise NotifyConfigError(f"{SMTP_FROM}: is not an email address (name@domain)")
    return SmtpSettings(host=host, port=port, starttls=starttls, user=user, password=password, sender=sender,
                        recipients=recipients)


def _check_credentials(host: str, port: int, starttls: bool, user: str | None, password: str | None) -> None:
    if user and not password:
        raise NotifyConfigError(f"{SMTP_USER}: set, but {SMTP_PASSWORD} is not")
    if password and not user:
        raise NotifyConfigError(f"{SMTP_PASSWORD}: set, but {SMTP_USER} is not")
    encrypted = starttls or port == IMPLICIT_TLS_PORT
    if user and not encrypted and host.lower() not in LOOPBACK_HOSTS:
        raise NotifyConfigError(
            f"{SMTP_STARTTLS}: must be true (or {SMTP_PORT} {IMPLICIT_TLS_PORT}) when logging in to a remote "
            "SMTP server, so the password is not sent in clear text"
        )
