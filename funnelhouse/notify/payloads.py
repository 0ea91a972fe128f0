"""The request bodies each channel expects for a Notification: generic JSON, Slack, WeCom, DingTalk and email."""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import quote_plus

from funnelhouse.notify.messages import Notification
from funnelhouse.notify.settings import SmtpSettings, envelope_address

WECOM_MAX_BYTES = 4096  # 企业微信 markdown.content: at most 4096 bytes of UTF-8 (errcode 40058 beyond)
DINGTALK_MAX_BYTES = 20000  # 钉钉 markdown.text: no documented size found; a conservative cap
SLACK_HEADER_CHARS = 150  # Block Kit header text limit
SLACK_SECTION_CHARS = 3000  # Block Kit section text limit
SLACK_MAX_BLOCKS = 50
TRUNCATED = "\n…(truncated)"


def webhook_payload(notification: Notification, sent_at: datetime) -> dict[str, Any]:
    """The generic JSON webhook body: the notification as is, plus when it was sent (ISO-8601, UTC)."""
    return {"kind": notification.kind, "title": notification.title, "text": notification.text,
            "facts": notification.facts, "sent_at": sent_at.isoformat(timespec="seconds")}


def slack_payload(notification: Notification) -> dict[str, Any]:
    """A Slack incoming-webhook body: `text` (bold title, then the body) and the same as Block Kit blocks."""
    title, body = slack_escape(notification.title), slack_escape(notification.text)
    header = {"type": "header", "text": {"type": "plain_text", "text": _cut(notification.title, SLACK_HEADER_CHARS),
                                          "emoji": True}}
    sections = _chunk_lines(body, SLACK_SECTION_CHARS)
    if len(sections) > SLACK_MAX_BLOCKS - 1:
        sections = sections[:SLACK_MAX_BLOCKS - 2] + [TRUNCATED.strip()]
    blocks = [header, *({"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections)]
    return {"text": f"*{title}*\n{body}", "blocks": blocks}


def wecom_payload(notification: Notification) -> dict[str, Any]:
    """A 企业微信 group-robot markdown message: bold title, then the body, cut to 4096 bytes of UTF-8."""
    content = truncate_utf8(f"**{notification.title}**\n{notification.text}", WECOM_MAX_BYTES)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_payload(notification: Notification) -> dict[str, Any]:
    """A 钉钉 custom-robot markdown message; lines end in two spaces so DingTalk keeps the line breaks."""
    text = f"#### {notification.title}\n\n{notification.text}".replace("\n", "  \n")
    return {"msgtype": "markdown",
            "markdown": {"title": notification.title, "text": truncate_utf8(text, DINGTALK_MAX_BYTES)}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: url-encoded base64 of HMAC-SHA256(secret, f"{timestamp}\\n{secret}")."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def dingtalk_signed_url(url: str, secret: str | None, timestamp_ms: int) -> str:
    """The robot URL with &timestamp=...&sign=... appended when the robot is secured by signing."""
    if not secret:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def email_message(notification: Notification, smtp: SmtpSettings, sent_at: datetime) -> EmailMessage:
    """A UTF-8 plain-text email: subject = title, body = text."""
    message = EmailMessage()
    message["Subject"] = notification.title
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid("funnelhouse", domain=envelope_address(smtp.sender).rpartition("@")[2])
    message["X-Funnelhouse-Kind"] = notification.kind
    # 7-bit-safe transfer encodings: Chinese and long lines survive relays that do not speak 8BITMIME
    cte = "quoted-printable" if notification.text.isascii() else "base64"
    message.set_content(notification.text, charset="utf-8", cte=cte)
    return message


def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters: &, < and > must be sent as HTML entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate_utf8(text: str, max_bytes: int, marker: str = TRUNCATED) -> str:
    """Text that fits in max_bytes of UTF-8: cut on a character (and if possible a line) boundary, then marked."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    head = data[: max_bytes - len(marker.encode("utf-8"))].decode("utf-8", errors="ignore")
    line_end = head.rfind("\n")
    if line_end > len(head) // 2:
        head = head[:line_end]
    return head + marker


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chunk_lines(text: str, limit: int) -> list[str]:
    """Text split on line breaks into non-blank pieces of at most `limit` characters."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = _cut(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]
