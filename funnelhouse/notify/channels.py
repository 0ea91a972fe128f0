"""Sending a Notification to every configured channel; one failing channel never stops the others or raises."""
from __future__ import annotations

import http.client
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from funnelhouse.notify import payloads
from funnelhouse.notify.messages import Notification
from funnelhouse.notify.settings import NotifySettings, SmtpSettings, envelope_address, safe_url

Clock = Callable[[], float]
MAX_RESPONSE_BYTES = 64 * 1024
MAX_DETAIL_CHARS = 300
REDACTED = "***"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What happened on one channel: ok, and a one-line, secret-free detail."""

    channel: str
    ok: bool
    detail: str


def send(notification: Notification, settings: NotifySettings, *, clock: Clock = time.time) -> list[Delivery]:
    """Send to every configured channel (none configured: nothing sent, []); never raises."""
    return [_deliver(channel, notification, settings, clock) for channel in settings.configured_channels()]


def _deliver(channel: str, notification: Notification, settings: NotifySettings, clock: Clock) -> Delivery:
    try:
        ok, detail = _SENDERS[channel](notification, settings, clock)
    except Exception as exc:  # noqa: BLE001 - a broken channel must not stop the others
        ok, detail = False, f"unexpected {type(exc).__name__}: {exc}"
    delivery = Delivery(channel=channel, ok=ok, detail=redact(detail, settings))
    log.log(logging.INFO if ok else logging.WARNING, "alert %s to %s: %s", notification.kind, channel,
            delivery.detail)
    return delivery


def _send_webhook(notification: Notification, settings: NotifySettings, clock: Clock) -> tuple[bool, str]:
    payload = payloads.webhook_payload(notification, _utc(clock))
    return _post(settings.webhook_url or "", payload, settings.timeout_seconds, errcode=False)


def _send_slack(notification: Notification, settings: NotifySettings, clock: Clock) -> tuple[bool, str]:
    return _post(settings.slack_webhook_url or "", payloads.slack_payload(notification), settings.timeout_seconds,
                 errcode=False)


def _send_wecom(notification: Notification, settings: NotifySettings, clock: Clock) -> tuple[bool, str]:
    return _post(settings.wecom_webhook_url or "", payloads.wecom_payload(notification), settings.timeout_seconds,
                 errcode=True)


def _send_dingtalk(notification: Notification, settings: NotifySettings, clock: Clock) -> tuple[bool, str]:
    url = payloads.dingtalk_signed_url(settings.dingtalk_webhook_url or "", settings.dingtalk_secret,
                                       round(clock() * 1000))
    return _post(url, payloads.dingtalk_payload(notification), settings.timeout_seconds, errcode=True)


def _send_email(notification: Notification, settings: NotifySettings, clock: Clock) -> tuple[bool, str]:
    smtp = settings.smtp
    assert smtp is not None
    message = payloads.email_message(notification, smtp, _utc(clock))
    where = f"smtp {smtp.host}:{smtp.port}"
    recipients = [envelope_address(address) for address in smtp.recipients]
    try:
        with _smtp_connect(smtp, settings.timeout_seconds) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            refused = client.send_message(message, from_addr=envelope_address(smtp.sender), to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:
        return False, f"{where}: {_smtp_reason(exc, settings.timeout_seconds)}"
    accepted = len(recipients) - len(refused)
    if refused:
        return False, f"{where} accepted the message for {accepted} of {len(recipients)} recipients"
    return True, f"{where} accepted the message for {_recipients(accepted)}"


_SENDERS: dict[str, Callable[[Notification, NotifySettings, Clock], tuple[bool, str]]] = {
    "webhook": _send_webhook,
    "slack": _send_slack,
    "wecom": _send_wecom,
    "dingtalk": _send_dingtalk,
    "email": _send_email,
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is misconfigured: report the 3xx instead of re-sending the body elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _post(url: str, payload: dict[str, Any], timeout: float, *, errcode: bool) -> tuple[bool, str]:
    """POST the payload as JSON; ok on HTTP 2xx and, for robots answering {"errcode": ...}, on errcode 0."""
    where = safe_url(url)
    try:
        status, body = _post_json(url, payload, timeout)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        return False, f"{where}: {_http_reason(exc, timeout)}"
    if not 200 <= status < 300:
        return False, f"{where} answered HTTP {status}{_snippet(body)}"
    if errcode:
        return _errcode_result(where, body)
    return True, f"{where} answered HTTP {status}"


def _post_json(url: str, payload: dict[str, Any], timeout: float) -> tuple[int, bytes]:
    data = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "funnelhouse-notify"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read(MAX_RESPONSE_BYTES)


def _errcode_result(where: str, body: bytes) -> tuple[bool, str]:
    try:
        answer = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "errcode" not in answer:
        return False, f"{where} answered without an errcode{_snippet(body)}"
    errmsg = str(answer.get("errmsg") or "")
    if answer["errcode"] == 0:
        return True, f"{where} answered errcode 0 ({errmsg or 'ok'})"
    return False, f"{where} answered errcode {answer['errcode']}: {errmsg or 'no errmsg'}"


def _http_reason(exc: BaseException, timeout: float) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, OSError) and reason.strerror:
        return f"connection failed: {reason.strerror}"
    return f"connection failed: {reason}"


def _smtp_connect(smtp: SmtpSettings, timeout: float) -> smtplib.SMTP:
    if smtp.implicit_tls:
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=ssl.create_default_context())
    return smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)


def _smtp_reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"all {len(exc.recipients)} recipients refused"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login refused: {exc.smtp_code} {_decode(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_decode(exc.smtp_error)}"
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, OSError) and exc.strerror:
        return f"connection failed: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _snippet(body: bytes, limit: int = 160) -> str:
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return f": {text[:limit]}" if text else ""


def _recipients(count: int) -> str:
    return f"{count} recipient{'' if count == 1 else 's'}"


def _utc(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock(), tz=timezone.utc)


def redact(detail: str, settings: NotifySettings) -> str:
    """One line without any configured secret: URL tokens (path, query, user info), DingTalk secret, password."""
    secrets = {piece for secret in settings.secrets() for piece in _secret_pieces(secret)}
    for secret in sorted(secrets, key=len, reverse=True):
        detail = detail.replace(secret, REDACTED)
    detail = " ".join(detail.split())
    return detail if len(detail) <= MAX_DETAIL_CHARS else detail[: MAX_DETAIL_CHARS - 1] + "…"


def _secret_pieces(secret: str) -> set[str]:
    """The secret itself and, for a URL, the parts that may carry a token in their own right."""
    parts = urlsplit(secret)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return {secret}
    pieces = {parts.path, parts.query, parts.password or ""}
    pieces |= {value for _, value in parse_qsl(parts.query)}
    pieces |= {segment for segment in parts.path.split("/") if len(segment) >= 8 and _has_digit(segment)}
    pieces |= {unquote(piece) for piece in pieces}
    return {secret} | {piece for piece in pieces if len(piece) >= 3}


def _has_digit(text: str) -> bool:
    return any(character.isdigit() for character in text)
