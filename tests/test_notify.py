"""Alert channels (funnelhouse.notify): message contents, each channel's payload received on local sinks, config."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from support.sinks import HttpSink, SmtpSink, closed_port

from funnelhouse.notify import (
    Notification,
    NotifyConfigError,
    NotifySettings,
    check_failed,
    run_failed,
    send,
    stale_deals_digest,
)
from ingestion.common.errors import FunnelhouseError

AS_OF = date(2026, 9, 30)
NOW = 1790000000.5  # 2026-09-21T14:13:20.5Z
NOW_MS = 1790000000500
SENT_AT = "2026-09-21T14:13:20+00:00"
OK = {"errcode": 0, "errmsg": "ok"}


def clock() -> float:
    return NOW


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to the sinks on 127.0.0.1 never go through a proxy configured on the machine."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def row(**values: Any) -> dict[str, Any]:
    """A mart_stale_deals row: every column, then the given values."""
    base = {
        "deal_id": "hubspot:1", "source": "hubspot", "deal_name": "deal", "current_stage_code": "need",
        "stage_name_zh": "需求确认", "stage_name_en": "Need confirmed",
        "current_stage_entered_at": datetime(2026, 7, 28, 3, 50), "is_stage_entry_known": True,
        "days_in_stage": 64, "stale_after_days": 30, "days_over_threshold": 34, "owner_id": "hubspot:102",
        "owner_name": "张立", "team_name": "华南渠道部", "company_id": "c1", "company_name": "杭州信科零售有限公司",
        "channel_code": "referral", "amount_reporting": Decimal("23666.000000"), "as_of_date": AS_OF,
    }
    return {**base, **values}


STALE_ROWS = [
    row(deal_id="hubspot:3208", deal_name="科润融资租赁 - 私有化部署", current_stage_code="proposal",
        stage_name_zh="方案/报价", stage_name_en="Proposal", days_in_stage=33, stale_after_days=30,
        days_over_threshold=3, owner_id="hubspot:107", owner_name="刘悦", team_name="华东大客户部",
        amount_reporting=Decimal("133000.000000")),
    row(deal_id="tracker_cn:ea32", deal_name="常州金程融资租赁", current_stage_code="interest",
        stage_name_zh="意向", stage_name_en="Interest", is_stage_entry_known=False, days_in_stage=157,
        stale_after_days=30, days_over_threshold=127, owner_id="hubspot:107", owner_name="刘悦",
        team_name="华东大客户部", amount_reporting=Decimal("215000.000000")),
    row(deal_id="hubspot:3468", deal_name="信科零售 - 企业版升级", owner_id="hubspot:110", owner_name="Daniel Ma",
        amount_reporting=Decimal("23666.500000")),
    row(deal_id="hubspot:3470", deal_name="Acme & <Sons> 扩容", current_stage_code="negotiation",
        stage_name_zh="商务谈判", stage_name_en="Negotiation", days_in_stage=50, stale_after_days=21,
        days_over_threshold=29, owner_id="hubspot:110", owner_name="Daniel Ma", amount_reporting=None),
    row(deal_id="forms:77", source="forms", deal_name="无主商机", current_stage_code="lead", stage_name_zh="线索",
        stage_name_en="Lead", days_in_stage=20, stale_after_days=14, days_over_threshold=6, owner_id=None,
        owner_name=None, team_name=None, amount_reporting=Decimal("1000000")),
]

DIGEST_TITLE = "funnelhouse: 5 stale deals on 2026-09-30 (3 owners, CNY 1,371,666.50)"
DIGEST_TEXT = """\
Open deals past their stage's threshold as of 2026-09-30: 5 deals worth CNY 1,371,666.50, 3 owners.

Daniel Ma (华南渠道部): 2 stale deals, CNY 23,666.50
  - 信科零售 - 企业版升级 · 需求确认 Need confirmed · 64 days in stage, 34 over the 30-day limit · CNY 23,666.50
  - Acme & <Sons> 扩容 · 商务谈判 Negotiation · 50 days in stage, 29 over the 21-day limit · amount unknown

刘悦 (华东大客户部): 2 stale deals, CNY 348,000.00
  - 常州金程融资租赁 · 意向 Interest · 157 days in stage (entry date inferred), 127 over the 30-day limit · \
CNY 215,000.00
  - 科润融资租赁 - 私有化部署 · 方案/报价 Proposal · 33 days in stage, 3 over the 30-day limit · CNY 133,000.00

未分配 unassigned: 1 stale deal, CNY 1,000,000.00
  - 无主商机 · 线索 Lead · 20 days in stage, 6 over the 14-day limit · CNY 1,000,000.00"""

CHECK_TITLE = "funnelhouse: check gx_raw_hubspot_deals failed on raw_hubspot/deals (3 failing rows, ERROR)"
CHECK_TEXT = """\
Check: gx_raw_hubspot_deals
Asset: raw_hubspot/deals
Severity: ERROR
Failing rows: 3
Description: 金额不能为负 amount_cny >= 0"""


def failed_check() -> Notification:
    return check_failed("gx_raw_hubspot_deals", "raw_hubspot/deals", 3, "error", "金额不能为负 amount_cny >= 0")


def env(**values: str) -> dict[str, str]:
    return {f"FUNNELHOUSE_ALERT_{name}": value for name, value in values.items()}


# --- messages -----------------------------------------------------------------------------------------------------

def test_check_failed_names_the_check_and_the_failing_rows() -> None:
    notification = failed_check()

    assert notification.kind == "check_failed"
    assert notification.title == CHECK_TITLE
    assert notification.text == CHECK_TEXT
    assert notification.facts == {"check_name": "gx_raw_hubspot_deals", "asset": "raw_hubspot/deals",
                                  "severity": "ERROR", "failing_rows": 3,
                                  "description": "金额不能为负 amount_cny >= 0"}
    assert check_failed("c", "a", 1, "WARN", "").title == "funnelhouse: check c failed on a (1 failing row, WARN)"
    assert "12,345 failing rows" in check_failed("c", "a", 12345, "WARN", "").title


def test_run_failed_keeps_the_head_and_tail_of_a_long_error_on_several_lines() -> None:
    trace = "\n".join(["Traceback (most recent call last):", *(f'  File "x.py", line {i}' for i in range(28)),
                       "ValueError: boom"])
    notification = run_failed("daily_refresh", "0f3c9a1e-6b1d-4f0e-9a51-2b7c4d8e9f00", trace,
                              ui_url="http://localhost:3000/runs/0f3c9a1e")

    assert notification.title == "funnelhouse: job daily_refresh failed (run 0f3c9a1e)"
    lines = notification.text.splitlines()
    assert lines[:3] == ["Job: daily_refresh", "Run: 0f3c9a1e-6b1d-4f0e-9a51-2b7c4d8e9f00",
                         "Error: Traceback (most recent call last):"]
    assert lines[7] == "  … 10 lines skipped …"
    assert lines[-2:] == ["  ValueError: boom", "Dagster UI: http://localhost:3000/runs/0f3c9a1e"]
    assert len(lines) == 2 + 21 + 1
    assert notification.facts == {"job": "daily_refresh", "run_id": "0f3c9a1e-6b1d-4f0e-9a51-2b7c4d8e9f00",
                                  "error": "ValueError: boom", "ui_url": "http://localhost:3000/runs/0f3c9a1e"}


def test_stale_digest_groups_deals_per_owner_busiest_first() -> None:
    notification = stale_deals_digest(STALE_ROWS, AS_OF)

    assert notification.kind == "stale_deals_digest"
    assert notification.title == DIGEST_TITLE
    assert notification.text == DIGEST_TEXT
    assert notification.facts == {
        "as_of": "2026-09-30", "stale_deals": 5, "amount_reporting": 1371666.5, "reporting_currency": "CNY",
        "owners": [
            {"owner": "Daniel Ma", "team": "华南渠道部", "stale_deals": 2, "amount_reporting": 23666.5},
            {"owner": "刘悦", "team": "华东大客户部", "stale_deals": 2, "amount_reporting": 348000.0},
            {"owner": "未分配 unassigned", "team": None, "stale_deals": 1, "amount_reporting": 1000000.0},
        ],
    }


def test_stale_digest_lists_ten_deals_per_owner_then_counts_the_rest() -> None:
    rows = [row(deal_id=f"d{i}", deal_name=f"商机{i:02d}", days_over_threshold=i, days_in_stage=30 + i)
            for i in range(1, 13)]
    lines = stale_deals_digest(rows, AS_OF).text.splitlines()

    assert lines[2] == "张立 (华南渠道部): 12 stale deals, CNY 283,992.00"
    assert [line.split(" · ")[0] for line in lines[3:13]] == [f"  - 商机{i:02d}" for i in range(12, 2, -1)]
    assert lines[13:] == ["  … and 2 more"]


def test_stale_digest_without_stale_deals_says_so() -> None:
    notification = stale_deals_digest([], AS_OF)

    assert notification.title == "funnelhouse: no stale deals on 2026-09-30"
    assert notification.text == "No open deal is past its stage's threshold as of 2026-09-30."
    assert notification.facts == {"as_of": "2026-09-30", "stale_deals": 0, "amount_reporting": 0.0,
                                  "reporting_currency": "CNY", "owners": []}


def test_messages_never_carry_emails_or_phone_numbers() -> None:
    notification = stale_deals_digest([row(deal_name="王经理 13812345678 wang@example.com 续约")], AS_OF)
    error = run_failed("job", "run", "cannot load +8613812345678 / li@example.cn")

    assert "王经理 [phone hidden] [email hidden] 续约" in notification.text
    assert "Error: cannot load [phone hidden] / [email hidden]" in error.text
    assert error.facts["error"] == "cannot load [phone hidden] / [email hidden]"


# --- settings -----------------------------------------------------------------------------------------------------

def test_nothing_is_configured_or_sent_without_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("FUNNELHOUSE_ALERT_")]:
        monkeypatch.delenv(name)
    settings = NotifySettings.from_env()

    with HttpSink() as sink:
        assert settings.configured_channels() == []
        assert send(failed_check(), settings) == []
        assert sink.requests == []
    assert settings.describe() == "alerts: no channel configured (set FUNNELHOUSE_ALERT_* env vars to send)"


def test_only_configured_channels_send() -> None:
    with HttpSink() as slack, HttpSink() as other:
        settings = NotifySettings.from_env(env(SLACK_WEBHOOK_URL=slack.url("/services/T1/B2/tok3")))
        deliveries = send(failed_check(), settings)

    assert settings.configured_channels() == ["slack"]
    assert [(d.channel, d.ok) for d in deliveries] == [("slack", True)]
    assert len(slack.requests) == 1 and other.requests == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (env(SMTP_HOST="smtp.example.com", EMAIL_TO="ops@example.com", SMTP_PORT="twenty-five"),
         "FUNNELHOUSE_ALERT_SMTP_PORT: must be a port number from 1 to 65535, got 'twenty-five'"),
        (env(SMTP_HOST="smtp.example.com", EMAIL_TO="ops@example.com", SMTP_PORT="70000"),
         "FUNNELHOUSE_ALERT_SMTP_PORT: must be a port number from 1 to 65535, got '70000'"),
        (env(WEBHOOK_URL="ftp://example.com/hook?token=ftp-secret-1"),
         "FUNNELHOUSE_ALERT_WEBHOOK_URL: must be an http:// or https:// URL"),
        (env(SLACK_WEBHOOK_URL="hooks.slack.com/services/T1/B2/slack-secret-1"),
         "FUNNELHOUSE_ALERT_SLACK_WEBHOOK_URL: must be an http:// or https:// URL"),
        (env(WECOM_WEBHOOK_URL="https://qyapi.weixin.qq.com:port/cgi-bin/webhook/send?key=wecom-secret-1"),
         "FUNNELHOUSE_ALERT_WECOM_WEBHOOK_URL: the URL's port is not a number from 1 to 65535"),
        (env(DINGTALK_SECRET="SECding-secret-1"),
         "FUNNELHOUSE_ALERT_DINGTALK_SECRET: set, but FUNNELHOUSE_ALERT_DINGTALK_WEBHOOK_URL is not"),
        (env(EMAIL_TO="ops@example.com"),
         "FUNNELHOUSE_ALERT_EMAIL_TO: set, but FUNNELHOUSE_ALERT_SMTP_HOST is not"),
        (env(SMTP_HOST="smtp.example.com"),
         "FUNNELHOUSE_ALERT_SMTP_HOST: set, but FUNNELHOUSE_ALERT_EMAIL_TO is not"),
        (env(SMTP_HOST="smtp.example.com", EMAIL_TO="ops@example.com, not-an-address"),
         "FUNNELHOUSE_ALERT_EMAIL_TO: address 2 is not an email address (name@domain)"),
        (env(SMTP_HOST="smtp.example.com", EMAIL_TO="ops@example.com", SMTP_STARTTLS="maybe"),
         "FUNNELHOUSE_ALERT_SMTP_STARTTLS: must be true or false, got 'maybe'"),
        (env(SMTP_HOST="smtp.example.com", EMAIL_TO="ops@example.com", SMTP_PORT="465", SMTP_STARTTLS="true"),
         "FUNNELHOUSE_ALERT_SMTP_STARTTLS: must be false with port 465 (implicit TLS)"),
        (env(SMTP_HOST="smtp.example.com", EMAIL_TO="ops@example.com", SMTP_USER="alerts@example.com"),
         "FUNNELHOUSE_ALERT_SMTP_USER: set, but FUNNELHOUSE_ALERT_SMTP_PASSWORD is not"),
        (env(SMTP_HOST="smtp.example.com", EMAIL_TO="ops@example.com", SMTP_USER="alerts@example.com",
             SMTP_PASSWORD="smtp-secret-1"),
         "FUNNELHOUSE_ALERT_SMTP_STARTTLS: must be true (or FUNNELHOUSE_ALERT_SMTP_PORT 465) when logging in to a "
         "remote SMTP server, so the password is not sent in clear text"),
        (env(SMTP_HOST="smtp.example.com", EMAIL_TO="ops@example.com", SMTP_FROM="alerts"),
         "FUNNELHOUSE_ALERT_SMTP_FROM: is not an email address (name@domain)"),
        (env(TIMEOUT_SECONDS="0"),
         "FUNNELHOUSE_ALERT_TIMEOUT_SECONDS: must be a number of seconds above 0 and at most 3600, got '0'"),
        (env(TIMEOUT_SECONDS="soon"),
         "FUNNELHOUSE_ALERT_TIMEOUT_SECONDS: must be a number of seconds above 0 and at most 3600, got 'soon'"),
    ],
)
def test_a_bad_setting_is_a_one_line_error_naming_the_env_var(values: dict[str, str], message: str) -> None:
    with pytest.raises(NotifyConfigError) as raised:
        NotifySettings.from_env(values)

    assert str(raised.value) == message
    assert isinstance(raised.value, FunnelhouseError)
    assert "secret-1" not in str(raised.value)


def test_describe_and_repr_show_no_secret() -> None:
    settings = NotifySettings.from_env(env(
        WEBHOOK_URL="https://alerts.example.com/hook?token=generic-secret-1",
        SLACK_WEBHOOK_URL="https://hooks.slack.com/services/T0123456789/B1001010101/slack-secret-1",
        WECOM_WEBHOOK_URL="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-secret-1",
        DINGTALK_WEBHOOK_URL="https://oapi.dingtalk.com/robot/send?access_token=ding-token-secret-1",
        DINGTALK_SECRET="SECding-sign-secret-1",
        SMTP_HOST="smtp.exmail.qq.com", SMTP_PORT="465", SMTP_USER="alerts@example.com",
        SMTP_PASSWORD="smtp-secret-1", EMAIL_TO="ops@example.com,sales@example.com", TIMEOUT_SECONDS="5",
    ))

    assert settings.configured_channels() == ["webhook", "slack", "wecom", "dingtalk", "email"]
    assert settings.describe() == (
        "alerts: webhook https://alerts.example.com, slack https://hooks.slack.com, wecom https://qyapi.weixin.qq.com, "
        "dingtalk https://oapi.dingtalk.com (signed), email via smtp.exmail.qq.com:465 (SSL, auth) to 2 recipients; "
        "timeout 5 s"
    )
    for text in (settings.describe(), repr(settings), str(settings)):
        assert "secret-1" not in text


# --- channels -----------------------------------------------------------------------------------------------------

def test_generic_webhook_posts_the_notification_as_json() -> None:
    with HttpSink(body="") as sink:
        settings = NotifySettings.from_env(env(WEBHOOK_URL=sink.url("/hooks/funnelhouse?token=abc123")))
        deliveries = send(failed_check(), settings, clock=clock)

    (request,) = sink.requests
    assert (request.method, request.path, request.query) == ("POST", "/hooks/funnelhouse", {"token": ["abc123"]})
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json == {"kind": "check_failed", "title": CHECK_TITLE, "text": CHECK_TEXT,
                            "facts": failed_check().facts, "sent_at": SENT_AT}
    assert [(d.channel, d.ok, d.detail) for d in deliveries] == [
        ("webhook", True, f"http://127.0.0.1:{sink.port} answered HTTP 200")]


def test_slack_gets_text_with_a_bold_title_and_blocks() -> None:
    with HttpSink(body="ok", content_type="text/plain") as sink:
        settings = NotifySettings.from_env(env(SLACK_WEBHOOK_URL=sink.url("/services/T0001/B0002/slacktoken3")))
        (delivery,) = send(stale_deals_digest(STALE_ROWS, AS_OF), settings, clock=clock)

    escaped = DIGEST_TEXT.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert sink.requests[0].path == "/services/T0001/B0002/slacktoken3"
    assert sink.requests[0].json == {
        "text": f"*{DIGEST_TITLE}*\n{escaped}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": DIGEST_TITLE, "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": escaped}},
        ],
    }
    assert "Acme &amp; &lt;Sons&gt; 扩容" in sink.requests[0].json["text"]
    assert delivery.ok and "slacktoken3" not in delivery.detail


def test_slack_splits_a_long_body_into_sections_of_at_most_3000_characters() -> None:
    long = Notification("run_failed", "t", "\n".join(f"line {i} " + "x" * 90 for i in range(100)))
    with HttpSink(body="ok") as sink:
        send(long, NotifySettings.from_env(env(SLACK_WEBHOOK_URL=sink.url("/s"))), clock=clock)

    sections = [block["text"]["text"] for block in sink.requests[0].json["blocks"][1:]]
    assert len(sections) == 4 and all(len(section) <= 3000 for section in sections)
    assert "\n".join(sections) == long.text


def test_wecom_gets_a_markdown_message() -> None:
    with HttpSink() as sink:
        settings = NotifySettings.from_env(env(WECOM_WEBHOOK_URL=sink.url("/cgi-bin/webhook/send?key=wecom-key-1")))
        (delivery,) = send(failed_check(), settings, clock=clock)

    (request,) = sink.requests
    assert (request.path, request.query) == ("/cgi-bin/webhook/send", {"key": ["wecom-key-1"]})
    assert request.json == {"msgtype": "markdown", "markdown": {"content": f"**{CHECK_TITLE}**\n{CHECK_TEXT}"}}
    assert (delivery.channel, delivery.ok, delivery.detail) == (
        "wecom", True, f"http://127.0.0.1:{sink.port} answered errcode 0 (ok)")


def test_wecom_content_is_cut_to_4096_bytes_on_a_character_boundary() -> None:
    text = "\n".join(f"第{i:03d}行:数据质量检查失败,请销售运营同事尽快处理。" for i in range(200))
    notification = Notification("check_failed", "funnelhouse: 检查失败", text)
    with HttpSink() as sink:
        send(notification, NotifySettings.from_env(env(WECOM_WEBHOOK_URL=sink.url("/send?key=k"))), clock=clock)

    content = sink.requests[0].json["markdown"]["content"]
    full = f"**funnelhouse: 检查失败**\n{text}"
    assert len(full.encode("utf-8")) > 4096
    assert len(content.encode("utf-8")) <= 4096
    assert content.endswith("\n…(truncated)")
    kept = content.removesuffix("\n…(truncated)")
    assert full.startswith(kept + "\n")  # cut after a whole line
    assert len(content.encode("utf-8")) > 4096 - 100


def test_wecom_content_of_exactly_4096_bytes_is_sent_whole() -> None:
    head = "**t**\n"
    text = "中" * ((4096 - len(head)) // 3) + "x" * ((4096 - len(head)) % 3)
    with HttpSink() as sink:
        send(Notification("run_failed", "t", text), NotifySettings.from_env(env(WECOM_WEBHOOK_URL=sink.url("/s"))))

    content = sink.requests[0].json["markdown"]["content"]
    assert len(content.encode("utf-8")) == 4096 and content == head + text


def test_dingtalk_signs_the_request_with_the_secret_and_timestamp() -> None:
    secret = "SEC0123456789abcdef"
    with HttpSink() as sink:
        settings = NotifySettings.from_env(env(DINGTALK_WEBHOOK_URL=sink.url("/robot/send?access_token=ding-tok-1"),
                                               DINGTALK_SECRET=secret))
        (delivery,) = send(failed_check(), settings, clock=clock)

    (request,) = sink.requests
    expected_sign = base64.b64encode(
        hmac.new(secret.encode(), f"{NOW_MS}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert request.path == "/robot/send"
    assert request.query == {"access_token": ["ding-tok-1"], "timestamp": [str(NOW_MS)], "sign": [expected_sign]}
    assert request.json == {"msgtype": "markdown", "markdown": {
        "title": CHECK_TITLE,
        "text": f"#### {CHECK_TITLE}  \n  \n" + CHECK_TEXT.replace("\n", "  \n"),
    }}
    assert delivery.ok and secret not in delivery.detail and "ding-tok-1" not in delivery.detail


def test_dingtalk_without_a_secret_sends_no_signature() -> None:
    with HttpSink() as sink:
        send(failed_check(), NotifySettings.from_env(env(DINGTALK_WEBHOOK_URL=sink.url("/robot/send?access_token=t"))))

    assert sink.requests[0].query == {"access_token": ["t"]}


def test_email_has_the_title_as_subject_and_the_text_as_utf8_body() -> None:
    with SmtpSink(credentials=("alerts@example.com", "smtp-pass-1")) as sink:
        settings = NotifySettings.from_env(env(
            SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port), SMTP_USER="alerts@example.com",
            SMTP_PASSWORD="smtp-pass-1", SMTP_FROM="Funnelhouse 告警 <alerts@example.com>",
            EMAIL_TO="ops@example.com, 销售经理 <sales@example.com>",
        ))
        check = check_failed("gx_销售表格", "raw_spreadsheets/deals", 2, "WARN", "负责人为空")
        deliveries = send(check, settings, clock=clock) + send(stale_deals_digest(STALE_ROWS, AS_OF), settings,
                                                               clock=clock)

    assert [(d.channel, d.ok, d.detail) for d in deliveries] == [
        ("email", True, f"smtp 127.0.0.1:{sink.port} accepted the message for 2 recipients")] * 2
    first, second = sink.messages
    assert (first.mail_from, first.rcpt_tos, first.authenticated_as) == (
        "alerts@example.com", ["ops@example.com", "sales@example.com"], "alerts@example.com")
    assert first.message["Subject"] == (
        "funnelhouse: check gx_销售表格 failed on raw_spreadsheets/deals (2 failing rows, WARN)")
    assert first.message["From"] == "Funnelhouse 告警 <alerts@example.com>"
    assert first.message["To"] == "ops@example.com, 销售经理 <sales@example.com>"
    assert first.message["X-Funnelhouse-Kind"] == "check_failed"
    assert first.message.get_content_type() == "text/plain"
    assert first.message.get_content_charset() == "utf-8"
    assert first.message.get_content() == check.text + "\n"
    assert second.message["Subject"] == DIGEST_TITLE
    assert second.message.get_content() == DIGEST_TEXT + "\n"
    assert b"smtp-pass-1" not in first.data
    assert first.data.isascii() and first.message["Content-Transfer-Encoding"] == "base64"  # 7-bit safe


def test_email_lines_starting_with_a_dot_arrive_intact() -> None:
    notification = Notification("run_failed", "funnelhouse: dots", ".env missing\n..and a second dot\n.\nend")
    with SmtpSink() as sink:
        settings = NotifySettings.from_env(env(SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port),
                                               EMAIL_TO="ops@example.com"))
        (delivery,) = send(notification, settings, clock=clock)

    assert delivery.ok
    assert sink.messages[0].mail_from == "funnelhouse@localhost"
    assert b"\r\n.env missing\r\n..and a second dot\r\n.\r\nend" in sink.messages[0].data  # stuffed on the wire
    assert sink.messages[0].message.get_content() == notification.text + "\n"


def test_email_login_refused_reports_without_the_password() -> None:
    with SmtpSink(credentials=("alerts@example.com", "right-password")) as sink:
        settings = NotifySettings.from_env(env(
            SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port), SMTP_USER="alerts@example.com",
            SMTP_PASSWORD="wrong-password-1", EMAIL_TO="ops@example.com"))
        (delivery,) = send(failed_check(), settings, clock=clock)

    assert set(sink.auth_attempts) == {("alerts@example.com", "wrong-password-1")}  # PLAIN, then LOGIN
    assert sink.messages == []
    assert (delivery.ok, delivery.detail) == (
        False, f"smtp 127.0.0.1:{sink.port}: login refused: 535 5.7.8 Authentication credentials invalid")


def test_a_failing_channel_does_not_stop_the_others_nor_leak_its_token() -> None:
    dead = closed_port()
    with (HttpSink(status=500, body="internal error") as webhook,
          HttpSink(body='{"errcode":93000,"errmsg":"invalid webhook url, key wecom-key-secret-1"}') as wecom,
          HttpSink() as dingtalk, SmtpSink() as smtp):
        settings = NotifySettings.from_env(env(
            WEBHOOK_URL=webhook.url("/hooks/generic-token-secret-1"),
            SLACK_WEBHOOK_URL=f"http://127.0.0.1:{dead}/services/T0001/B0002/slack-token-secret-1",
            WECOM_WEBHOOK_URL=wecom.url("/cgi-bin/webhook/send?key=wecom-key-secret-1"),
            DINGTALK_WEBHOOK_URL=dingtalk.url("/robot/send?access_token=ding-token-secret-1"),
            DINGTALK_SECRET="SECding-sign-secret-1",
            SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), EMAIL_TO="ops@example.com",
        ))
        deliveries = send(failed_check(), settings, clock=clock)

    assert [(d.channel, d.ok, d.detail) for d in deliveries] == [
        ("webhook", False, f"http://127.0.0.1:{webhook.port} answered HTTP 500: internal error"),
        ("slack", False, f"http://127.0.0.1:{dead}: connection failed: Connection refused"),
        ("wecom", False, f"http://127.0.0.1:{wecom.port} answered errcode 93000: invalid webhook url, key ***"),
        ("dingtalk", True, f"http://127.0.0.1:{dingtalk.port} answered errcode 0 (ok)"),
        ("email", True, f"smtp 127.0.0.1:{smtp.port} accepted the message for 1 recipient"),
    ]
    assert all("secret-1" not in d.detail and "\n" not in d.detail for d in deliveries)
    assert len(webhook.requests) == len(wecom.requests) == len(dingtalk.requests) == len(smtp.messages) == 1


def test_a_webhook_that_does_not_answer_times_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts connections in the kernel, never answers
        port = silent.getsockname()[1]
        settings = NotifySettings.from_env(env(WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", TIMEOUT_SECONDS="0.2"))
        (delivery,) = send(failed_check(), settings, clock=clock)

    assert (delivery.ok, delivery.detail) == (False, f"http://127.0.0.1:{port}: no answer within 0.2 s")


def test_a_robot_answer_without_errcode_is_a_failure() -> None:
    with HttpSink(body="<html>gateway</html>", content_type="text/html") as sink:
        (delivery,) = send(failed_check(), NotifySettings.from_env(env(WECOM_WEBHOOK_URL=sink.url("/s?key=k"))))

    assert (delivery.ok, delivery.detail) == (
        False, f"http://127.0.0.1:{sink.port} answered without an errcode: <html>gateway</html>")
