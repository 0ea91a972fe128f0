"""Parsing of hand-typed values: dates, 万/元 amounts, phones, emails, durations — exact results and exact errors."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from ingestion.common.parsing import (
    FieldError,
    normalize_email,
    normalize_phone,
    parse_amount,
    parse_date,
    parse_duration_days,
    parse_timestamp,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024年3月5日", date(2024, 3, 5)),
        ("2024.03.05", date(2024, 3, 5)),
        (45356, date(2024, 3, 5)),  # Excel serial number
        ("45356", date(2024, 3, 5)),
        ("03/05/2024", date(2024, 3, 5)),  # month first unless day_first
        (datetime(2024, 3, 5, 9, 30), date(2024, 3, 5)),
        ("2024-03-05 09:30:00", date(2024, 3, 5)),
    ],
)
def test_dates_in_mixed_forms(raw, expected) -> None:
    assert parse_date("进入阶段时间", raw) == expected


def test_day_first_dates_and_unparseable_dates() -> None:
    assert parse_date("d", "03/05/2024", day_first=True) == date(2024, 5, 3)
    with pytest.raises(FieldError) as error:
        parse_date("进入阶段时间", "上周三")
    assert error.value.reason == "unparseable date '上周三' (use 2024-03-05, 2024/3/5 or 2024年3月5日)"
    with pytest.raises(FieldError) as error:
        parse_date("d", 12)  # a number far outside Excel's date serials is not a date
    assert error.value.reason.startswith("unparseable date 12")


def test_timestamps_become_utc() -> None:
    assert parse_timestamp("t", "2025-03-05T10:22:01.500Z") == datetime(2025, 3, 5, 10, 22, 1, 500000, tzinfo=timezone.utc)
    assert parse_timestamp("t", "2025-03-05T18:22:01+08:00") == datetime(2025, 3, 5, 10, 22, 1, tzinfo=timezone.utc)
    assert parse_timestamp("t", "2025-03-05 10:22:01") == datetime(2025, 3, 5, 10, 22, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "raw, unit, expected",
    [
        (35.5, "wan", Decimal("355000.00")),
        ("35.5", "wan", Decimal("355000.00")),
        ("35.5万", "yuan", Decimal("355000.00")),
        ("355,000元", "wan", Decimal("355000.00")),
        ("1,250,000", "yuan", Decimal("1250000.00")),
        ("¥1250000.00", "yuan", Decimal("1250000.00")),
        ("", "wan", None),
        (None, "wan", None),
    ],
)
def test_amounts_in_wan_and_yuan(raw, unit, expected) -> None:
    assert parse_amount("预估金额(万)", raw, unit) == expected


@pytest.mark.parametrize(
    "raw, reason",
    [("-5", "amount is negative: '-5'"), ("面议", "amount is not a number: '面议'"), (-3.0, "amount is negative: -3.0")],
)
def test_bad_amounts(raw, reason) -> None:
    with pytest.raises(FieldError) as error:
        parse_amount("预估金额(万)", raw, "wan")
    assert (error.value.field, error.value.reason) == ("预估金额(万)", reason)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("+86 138 0013 8000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("0086 13800138000", "+8613800138000"),
        ("(021) 6234 5678", "+862162345678"),
        ("+86 21 6234 5678", "+862162345678"),
        ("0755-8888 6666", "+8675588886666"),
        (13800138000.0, "+8613800138000"),
        ("", None),
    ],
)
def test_phones_to_e164(raw, expected) -> None:
    assert normalize_phone("联系方式", raw) == expected


@pytest.mark.parametrize("raw", ["1380013", "n/a", "12345678901"])
def test_invalid_phones(raw) -> None:
    with pytest.raises(FieldError) as error:
        normalize_phone("联系方式", raw)
    assert error.value.reason == f"invalid phone number {raw!r} (expected e.g. 13800138000 or +86 21 6234 5678)"


def test_emails_and_durations() -> None:
    assert normalize_email("email", " Wang.Wei@Example.CN ") == "wang.wei@example.cn"
    with pytest.raises(FieldError) as error:
        normalize_email("email", "wang@@example")
    assert error.value.reason == "invalid email address 'wang@@example'"
    assert [parse_duration_days("d", v) for v in ["12天", "3周", "2个月", "15", 4, "10 days", None]] == [
        12, 21, 60, 15, 4, 10, None
    ]
    with pytest.raises(FieldError) as error:
        parse_duration_days("上一阶段停留时长", "很久")
    assert error.value.reason == "unparseable duration '很久' (use e.g. 12天, 3周 or 15)"
