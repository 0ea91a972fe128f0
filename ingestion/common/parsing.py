"""Parse the values people type into forms and sheets: dates, amounts in 万/元, phones, emails, durations."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIAL_RANGE = (20000, 80000)  # 1954 .. 2119: numbers outside are not dates
WAN = Decimal(10000)


class FieldError(ValueError):
    """One field of one row could not be used; `reason` is written for a person."""

    def __init__(self, field: str, raw_value: Any, reason: str) -> None:
        self.field = field
        self.raw_value = raw_value
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_text(value: Any) -> str | None:
    """Strip whitespace (incl. full-width spaces); blank becomes None."""
    if value is None:
        return None
    text = str(value).replace("\u3000", " ").strip()
    return text or None


_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "mdy"),
]
_DATETIME_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"]


def _excel_serial(number: float) -> date:
    low, high = EXCEL_SERIAL_RANGE
    if not low <= number <= high:
        raise ValueError
    return EXCEL_EPOCH + timedelta(days=int(number))


def parse_date(field: str, value: Any, day_first: bool = False) -> date:
    """A date from 2024-03-05, 2024/3/5, 2024年3月5日, 03/05/2024 (month first unless day_first), an Excel serial
    number (45356) or a date/datetime cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _excel_serial(float(value))
        text = clean_text(value)
        if text is None:
            raise FieldError(field, value, "date is missing")
        if re.fullmatch(r"\d{5}(\.\d+)?", text):
            return _excel_serial(float(text))
        text = text.split("T")[0] if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else text
        for pattern, order in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                a, b, c = (int(g) for g in match.groups())
                if order == "ymd":
                    return date(a, b, c)
                return date(c, b, a) if day_first else date(c, a, b)
        for fmt in _DATETIME_FORMATS:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    except FieldError:
        raise
    except ValueError:
        pass
    raise FieldError(field, value, f"unparseable date {value!r} (use 2024-03-05, 2024/3/5 or 2024年3月5日)")


def parse_timestamp(field: str, value: Any) -> datetime:
    """A timezone-aware UTC timestamp from ISO 8601 (2025-03-05T10:22:01Z, with or without ms) or
    '2025-03-05 10:22:01' (taken as UTC), or a plain date (midnight UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = clean_text(value)
    if text is None:
        raise FieldError(field, value, "timestamp is missing")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            day = parse_date(field, text)
        except FieldError:
            raise FieldError(field, value, f"unparseable timestamp {value!r} (use ISO 8601, e.g. 2025-03-05T10:22:01Z)")
        parsed = datetime(day.year, day.month, day.day)
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_AMOUNT = re.compile(r"^[-+]?\d+(\.\d+)?$")


def parse_amount(field: str, value: Any, unit: str = "yuan") -> Decimal | None:
    """An amount in 元 (yuan). `unit` says what a bare number means: "wan" (万, ×10,000) or "yuan".
    A value written with its own unit wins: '35.5万' or '355,000元'. Blank → None; negative or text → FieldError."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise FieldError(field, value, f"amount is not a number: {value!r}")
    if isinstance(value, (int, float, Decimal)):
        number, scale = Decimal(str(value)), WAN if unit == "wan" else Decimal(1)
    else:
        text = clean_text(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
        scale = WAN if unit == "wan" else Decimal(1)
        if text.endswith("万元") or text.endswith("万"):
            text, scale = text.rstrip("元").rstrip("万").strip(), WAN
        elif text.endswith("元"):
            text, scale = text[:-1].strip(), Decimal(1)
        if not _AMOUNT.match(text):
            raise FieldError(field, value, f"amount is not a number: {value!r}")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise FieldError(field, value, f"amount is not a number: {value!r}") from None
    if number < 0:
        raise FieldError(field, value, f"amount is negative: {value!r}")
    return (number * scale).quantize(Decimal("0.01"))


_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_CN_LANDLINE = re.compile(r"^0(\d{2,3})(\d{7,8})$")


def normalize_phone(field: str, value: Any) -> str | None:
    """A phone in E.164 (+8613800138000, +862162345678) from +86 138 0013 8000, 138-0013-8000, (021) 6234 5678,
    0086..., blank → None; anything else → FieldError."""
    text = clean_text(value)
    if text is None:
        return None
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    digits = re.sub(r"[\s\-().（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if digits.isdigit():
        if _CN_MOBILE.match(digits):
            return "+86" + digits
        if not digits.startswith("0") and text.lstrip().startswith(("+86", "0086")):
            digits = "0" + digits  # +86 21 6234 5678: the area code's trunk 0 is dropped after the country code
        landline = _CN_LANDLINE.match(digits)
        if landline:
            return "+86" + landline.group(1) + landline.group(2)
    if digits.startswith("+") and digits[1:].isdigit() and 8 <= len(digits) - 1 <= 15 and not digits.startswith("+86"):
        return digits
    raise FieldError(field, value, f"invalid phone number {text!r} (expected e.g. 13800138000 or +86 21 6234 5678)")


_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def normalize_email(field: str, value: Any) -> str | None:
    """Lower-cased, trimmed email; blank → None; malformed → FieldError."""
    text = clean_text(value)
    if text is None:
        return None
    text = text.replace(" ", "").lower()
    if not _EMAIL.match(text):
        raise FieldError(field, value, f"invalid email address {clean_text(value)!r}")
    return text


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(天|日|d|days?|周|星期|w|weeks?|个月|月|months?)?$", re.IGNORECASE)
_DAYS_PER_UNIT = {"周": 7, "星期": 7, "w": 7, "week": 7, "weeks": 7, "个月": 30, "月": 30, "month": 30, "months": 30}


def parse_duration_days(field: str, value: Any) -> int | None:
    """Days from '12天', '3周', '2个月', '15', '15 days'; blank → None."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    match = _DURATION.match(clean_text(value))
    if not match:
        raise FieldError(field, value, f"unparseable duration {value!r} (use e.g. 12天, 3周 or 15)")
    number, unit = float(match.group(1)), (match.group(2) or "天").lower()
    return round(number * _DAYS_PER_UNIT.get(unit, 1))
