"""Parse the values people type into forms and sheets: dates, amounts in 万/元, phones, emails, durations."""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIAL_RANGE = (20000, 80000)  # 1954 .. 2119: numbers outside are not dates
WAN = Decimal(10000)
# The dates a sales record can have: outside them a year is mistyped (0001, 9999), and the calendar (dim_date, from
# the earliest date to the as-of day) would grow by millennia; timestamps at the edge also overflow on UTC conversion.
DATE_RANGE = (date(1900, 1, 1), date(2199, 12, 31))
# Spreadsheet amounts are decimal(18, 2) columns: at most 16 digits before the point, or the whole load fails.
AMOUNT_INTEGER_DIGITS = 16


class FieldError(ValueError):
    """One field of one row could not be used; `reason` is written for a person."""

    def __init__(self, field: str, raw_value: Any, reason: str) -> None:
        self.field = field
        self.raw_value = raw_value
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def error_text(error: BaseException) -> str:
    """An exception as one short line: 'TypeError: what it says'."""
    detail = " ".join(str(error).split())[:200] or "no detail"
    return f"{type(error).__name__}: {detail}"


def unexpected(error: Exception, field: str = "row", raw_value: Any = None) -> FieldError:
    """A FieldError for an exception no parser foresaw while shaping a row: the row is quarantined with this reason
    (one line), never the whole load stopped."""
    return FieldError(
        field, raw_value,
        f"this row could not be read ({error_text(error)}); correct the row, or report it with the raw record if it "
        "looks right",
    )


def in_date_range(field: str, value: Any, day: date) -> date:
    """`day` when it lies in DATE_RANGE, else FieldError naming the value and the range."""
    low, high = DATE_RANGE
    if not low <= day <= high:
        raise FieldError(field, value, f"date {_shown(value)} is outside {low} .. {high}; correct the year")
    return day


def utc(field: str, value: Any, moment: datetime) -> datetime:
    """`moment` (naive = UTC) converted to UTC, checked against DATE_RANGE; FieldError when it is outside."""
    in_date_range(field, value, moment.date())
    try:
        return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    except OverflowError:
        low, high = DATE_RANGE
        raise FieldError(field, value, f"date {_shown(value)} is outside {low} .. {high}; correct the year") from None


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_text(value: Any) -> str | None:
    """Strip whitespace (incl. full-width spaces); blank becomes None. NUL characters are removed by the readers
    (and noted) before a value gets here."""
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
    number (45356) or a date/datetime cell, within DATE_RANGE."""
    return in_date_range(field, value, _parse_date(field, value, day_first))


def _parse_date(field: str, value: Any, day_first: bool) -> date:
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
        return utc(field, value, value)
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
    return utc(field, value, parsed)


_AMOUNT = re.compile(r"^[-+]?\d+(\.\d+)?$")
# thousands grouping under each decimal separator: 1,234,567.89 (".") and 1.234.567,89 (",")
_GROUPED = {".": re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$"), ",": re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")}
_OTHER = {".": ",", ",": "."}


def plain_number(field: str, value: Any, text: str, decimal_separator: str = ".", what: str = "amount") -> str:
    """`text` with thousands separators removed and a point as decimal separator, read by the stated rule:
    decimal_separator "." (1,234.5) or "," (1.234,5; 12,3万 = 12.3万). A separator the rule cannot explain (12,3
    under ".") is ambiguous: FieldError, never a guess."""
    text = text.replace("，", ",")
    grouping = _OTHER[decimal_separator]
    if grouping in text:
        if not _GROUPED[decimal_separator].match(text):
            example = "1,234,567.89" if decimal_separator == "." else "1.234.567,89"
            raise FieldError(
                field, value,
                f"ambiguous {what} {value!r}: with decimal_separator '{decimal_separator}' a '{grouping}' may only "
                f"group thousands ({example}); write the number without it, or set decimal_separator: '{grouping}' "
                "for this entry in mapping.yaml",
            )
        text = text.replace(grouping, "")
    return text.replace(",", ".") if decimal_separator == "," else text


def parse_amount(field: str, value: Any, unit: str = "yuan", decimal_separator: str = ".") -> Decimal | None:
    """An amount in 元 (yuan). `unit` says what a bare number means: "wan" (万, ×10,000) or "yuan".
    A value written with its own unit wins: '35.5万' or '355,000元'. `decimal_separator` is the entry's rule for
    written numbers (see plain_number). Blank → None; negative, text, NaN/infinity or beyond the warehouse's
    decimal(18, 2) → FieldError."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise FieldError(field, value, f"amount is not a number: {value!r}")
    if isinstance(value, (int, float, Decimal)):
        number, scale = Decimal(str(value)), WAN if unit == "wan" else Decimal(1)
    else:
        text = clean_text(value).replace("¥", "").replace("￥", "").strip()
        scale = WAN if unit == "wan" else Decimal(1)
        if text.endswith("万元") or text.endswith("万"):
            text, scale = text.rstrip("元").rstrip("万").strip(), WAN
        elif text.endswith("元"):
            text, scale = text[:-1].strip(), Decimal(1)
        if not re.fullmatch(r"[-+]?[\d.,，]+", text):
            raise FieldError(field, value, f"amount is not a number: {value!r}")
        text = plain_number(field, value, text, decimal_separator)
        if not _AMOUNT.match(text):
            raise FieldError(field, value, f"amount is not a number: {value!r}")
        number = Decimal(text)
    if not number.is_finite():
        raise FieldError(field, value, f"amount is not a finite number: {value!r}; write the amount in digits")
    if number < 0:
        raise FieldError(field, value, f"amount is negative: {value!r}")
    amount = number * scale
    if amount and amount.adjusted() >= AMOUNT_INTEGER_DIGITS:
        raise FieldError(
            field, value,
            f"amount {_shown(value)} is too large for the warehouse (at most {AMOUNT_INTEGER_DIGITS} digits before the "
            "decimal point); correct the amount in the file",
        )
    return amount.quantize(Decimal("0.01"))


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


def whole_number(field: str, value: Any, number: float | int | Decimal) -> int:
    """`number` as an int that fits the warehouse's bigint; FieldError for NaN, infinity or anything larger."""
    try:
        result = int(number)
    except (ValueError, OverflowError):
        raise FieldError(field, value, f"not a whole number: {value!r}") from None
    if not -(2**63) <= result < 2**63:
        raise FieldError(field, value, f"number {value!r} is too large for the warehouse (a 64-bit whole number)")
    return result


def parse_duration_days(field: str, value: Any) -> int | None:
    """Days from '12天', '3周', '2个月', '15', '15 days'; blank → None."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return whole_number(field, value, value)
    match = _DURATION.match(clean_text(value))
    if not match:
        raise FieldError(field, value, f"unparseable duration {value!r} (use e.g. 12天, 3周 or 15)")
    number, unit = float(match.group(1)), (match.group(2) or "天").lower()
    days = number * _DAYS_PER_UNIT.get(unit, 1)
    return whole_number(field, value, round(days) if math.isfinite(days) else days)
