"""`search_query_info` of fxiaoke's `/cgi/crm/v2/data/query`, over a list of records: filters, orders, offset
paging and field projection, as the query pages and 深翻页文档 of developer.fxiaoke.com/openapi_v2 describe them.

- `limit` 1..100, `offset` from 0, a multiple of `limit`, at most 10000 (10013 past it);
- filters are and-ed; `field_values` is a list of text; operators EQ N GT GTE LT LTE IN NIN LIKE NLIKE IS ISN
  STARTWITH ENDWITH BETWEEN (HASANYOF/CONTAINS as IN over list fields). A time field (epoch milliseconds) compares
  as a number; an employee field (a list of openUserIds) matches when any of its values does;
- orders `[{fieldName, isAsc}]` (`_id` ascending when none is given: our choice, the docs name no default);
- records with `is_deleted: true` are left out unless a filter names `is_deleted`.
Errors raise `FxError` (an ApiError answered HTTP 200 with the fxiaoke errorCode).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from emulators.common.vendor import ApiError

MAX_LIMIT = 100
MAX_OFFSET = 10000
PARAMETER_ERROR = 32000  # 参数错误
OFFSET_OUT_OF_RANGE = 10013  # 深翻页文档: {"errorCode": 10013, "errorMessage": "offset out of range 10000"}
OPERATORS = ("EQ", "N", "GT", "GTE", "LT", "LTE", "IN", "NIN", "LIKE", "NLIKE", "IS", "ISN", "STARTWITH",
             "ENDWITH", "BETWEEN", "NBETWEEN", "HASANYOF", "NHASANYOF", "CONTAINS")


class FxError(ApiError):
    """An fxiaoke refusal: HTTP 200, `errorCode` `code`, `errorMessage` `message` (and an errorDescription)."""

    def __init__(self, code: int, message: str, description: str | None = None):
        super().__init__(200, message, code=code, description=description or message)


def parameter_error(message: str) -> FxError:
    return FxError(PARAMETER_ERROR, message, "参数错误")


def _integer(raw: Any, name: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise parameter_error(f"search_query_info.{name} 必须是整数: {raw!r}")
    try:
        return int(raw)
    except ValueError:
        raise parameter_error(f"search_query_info.{name} 必须是整数: {raw!r}") from None


def paging(info: dict[str, Any]) -> tuple[int, int]:
    """(limit, offset) of a search_query_info, checked as the docs say."""
    if "limit" not in info or "offset" not in info:
        raise parameter_error("search_query_info.limit 和 search_query_info.offset 为必填项")
    limit, offset = _integer(info["limit"], "limit"), _integer(info["offset"], "offset")
    if limit < 1 or limit > MAX_LIMIT:
        raise parameter_error(f"limit 必须在 1 到 {MAX_LIMIT} 之间: {limit}")
    if offset > MAX_OFFSET:
        raise FxError(OFFSET_OUT_OF_RANGE, f"offset out of range {MAX_OFFSET}", f"offset 不能超过{MAX_OFFSET}")
    if offset < 0 or offset % limit:
        raise parameter_error(f"offset 必须是 limit 的整数倍: offset {offset}, limit {limit}")
    return limit, offset


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(value: Any, wanted: str) -> int | None:
    """-1, 0 or 1 comparing a record's value with a filter value (numbers as numbers); None when not comparable."""
    left, right = _number(value), _number(wanted)
    if left is not None and right is not None:
        return (left > right) - (left < right)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None
    mine = _text(value)
    return (mine > wanted) - (mine < wanted)


def _matches_one(value: Any, operator: str, wanted: list[str]) -> bool:
    """Whether one scalar value passes the filter."""
    if operator in ("EQ", "IN", "HASANYOF", "CONTAINS"):
        return any(_compare(value, w) == 0 for w in wanted)
    if operator in ("N", "NIN", "NHASANYOF"):
        return all(_compare(value, w) != 0 for w in wanted)
    if operator in ("GT", "GTE", "LT", "LTE"):
        order = _compare(value, wanted[0])
        if order is None:
            return False
        return {"GT": order > 0, "GTE": order >= 0, "LT": order < 0, "LTE": order <= 0}[operator]
    if operator in ("BETWEEN", "NBETWEEN"):
        low, high = _compare(value, wanted[0]), _compare(value, wanted[-1])
        inside = low is not None and high is not None and low >= 0 and high <= 0
        return inside if operator == "BETWEEN" else not inside
    text = _text(value)
    if operator == "LIKE":
        return any(w in text for w in wanted)
    if operator == "NLIKE":
        return all(w not in text for w in wanted)
    if operator == "STARTWITH":
        return any(text.startswith(w) for w in wanted)
    return any(text.endswith(w) for w in wanted)  # ENDWITH


def _passes(record: dict[str, Any], field: str, operator: str, wanted: list[str]) -> bool:
    value = record.get(field)
    empty = value is None or value == "" or value == []
    if operator == "IS":
        return empty
    if operator == "ISN":
        return not empty
    if empty:
        return operator in ("N", "NIN", "NLIKE", "NHASANYOF", "NBETWEEN")
    if isinstance(value, list):
        hits = [_matches_one(v, operator, wanted) for v in value]
        return all(hits) if operator in ("N", "NIN", "NHASANYOF", "NLIKE") else any(hits)
    return _matches_one(value, operator, wanted)


def _checked_filters(raw: Any) -> list[tuple[str, str, list[str]]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise parameter_error("search_query_info.filters 必须是列表")
    checked = []
    for number, item in enumerate(raw):
        if not isinstance(item, dict):
            raise parameter_error(f"filters[{number}] 必须是对象")
        field, operator, values = item.get("field_name"), item.get("operator"), item.get("field_values")
        if not isinstance(field, str) or not field:
            raise parameter_error(f"filters[{number}].field_name 为必填项")
        if operator not in OPERATORS:
            raise parameter_error(f"filters[{number}].operator 不合法: {operator!r}")
        if not isinstance(values, list):
            raise parameter_error(f"filters[{number}].field_values 必须是列表")
        if not values and operator not in ("IS", "ISN"):
            raise parameter_error(f"filters[{number}].field_values 不能为空")
        checked.append((field, operator, [_text(v) for v in values]))
    return checked


def _checked_orders(raw: Any) -> list[tuple[str, bool]]:
    if raw is None or raw == []:
        return [("_id", True)]
    if not isinstance(raw, list):
        raise parameter_error("search_query_info.orders 必须是列表")
    orders = []
    for number, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("fieldName"), str):
            raise parameter_error(f"orders[{number}].fieldName 为必填项")
        ascending = item.get("isAsc", True)
        orders.append((item["fieldName"], ascending not in (False, "false")))
    return orders


def _sort(records: list[dict[str, Any]], orders: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Sorted by each order, the last first (a stable sort); empty values last whatever the direction."""
    ordered = list(records)
    for field, ascending in reversed(orders):
        present = [r for r in ordered if r.get(field) not in (None, "", [])]
        missing = [r for r in ordered if r.get(field) in (None, "", [])]
        present.sort(key=lambda r: _sort_key(r.get(field)), reverse=not ascending)
        ordered = present + missing
    return ordered


def _sort_key(value: Any) -> tuple:
    if isinstance(value, list):
        value = value[0] if value else ""
    number = _number(value)
    return (0, number, "") if number is not None else (1, 0.0, _text(value))


def select(records: Iterable[dict[str, Any]], info: dict[str, Any]) -> list[dict[str, Any]]:
    """The records a search_query_info matches (deleted ones unless asked), in its order (before paging)."""
    filters = _checked_filters(info.get("filters"))
    wants_deleted = any(field == "is_deleted" for field, _, _ in filters)
    chosen = [r for r in records
              if (wants_deleted or not r.get("is_deleted"))
              and all(_passes(r, field, operator, values) for field, operator, values in filters)]
    return _sort(chosen, _checked_orders(info.get("orders")))


def project(record: dict[str, Any], fields: Any, include_null: bool) -> dict[str, Any]:
    """The record as answered: only `fields` (fieldProjection) when given, null values only with includeNull."""
    if isinstance(fields, list) and fields:
        record = {name: record.get(name) for name in fields if name in record}
    if include_null:
        return dict(record)
    return {k: v for k, v in record.items() if v is not None}
