"""Paging over a list of records, written once: opaque cursors, offsets, and next-page URLs.

- `cursor_page(records, limit, cursor, key)`: keyset paging as Pipedrive's v2 API pages (`cursor`,
  `additional_data.next_cursor`): the cursor is an opaque base64 token of the last record's sort key, so a record
  changed between two pages is neither skipped nor repeated by the records around it.
- `offset_page(records, limit, offset)`: `start`/`limit` (or `after`) paging; returns the next offset or None.
- `next_url(request, **params)`: the request's own URL with some query parameters replaced (HubSpot's
  `paging.next.link`, Salesforce's `nextRecordsUrl` are built from it).
- `check_limit(raw, default, maximum)`: a `limit` parameter within 1..maximum.
A malformed cursor or limit raises ApiError 400; the vendor's error body renders it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from emulators.common.vendor import ApiError

Record = TypeVar("Record")


def encode_cursor(position: Any) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ApiError(400, f"Invalid cursor: {cursor}") from None


def cursor_page(
    records: Sequence[Record],
    limit: int,
    cursor: str | None,
    key: Callable[[Record], tuple],
    descending: bool = False,
) -> tuple[list[Record], str | None]:
    """One page of `records` (already sorted by `key`, in `descending` order when set) after `cursor`, and the
    next page's cursor (None on the last page). Keys must be JSON values (numbers, strings, null)."""
    start = 0
    if cursor:
        last = decode_cursor(cursor)
        if not isinstance(last, list):
            raise ApiError(400, f"Invalid cursor: {cursor}")
        position = _sortable(last)
        start = len(records)
        for index, record in enumerate(records):
            mine = _sortable(list(key(record)))
            if (mine < position) if descending else (mine > position):
                start = index
                break
    page = list(records[start : start + limit])
    more = start + limit < len(records)
    return page, (encode_cursor(list(key(page[-1]))) if more and page else None)


def _sortable(values: list[Any]) -> tuple:
    """A key tuple comparable whatever its values hold: None sorts first."""
    return tuple((value is not None, value) for value in values)


def offset_page(records: Sequence[Record], limit: int, offset: int) -> tuple[list[Record], int | None]:
    """`limit` records from `offset`, and the next offset (None when nothing follows)."""
    if offset < 0:
        raise ApiError(400, f"Invalid paging offset: {offset}")
    page = list(records[offset : offset + limit])
    return page, (offset + limit if offset + limit < len(records) else None)


def next_url(request: Request, path: str | None = None, **params: Any) -> str:
    """The request's URL (or `path` on its host) with `params` replacing same-named query parameters."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in params]
    pairs.extend((k, str(v)) for k, v in params.items() if v is not None)
    base = str(request.base_url).rstrip("/")
    return f"{base}{path if path is not None else request.url.path}?{urlencode(pairs)}"


def check_limit(raw: Any, default: int, maximum: int, message: str | None = None) -> int:
    """The `limit` parameter as an int in 1..maximum; ApiError 400 (with `message` when given) otherwise."""
    if raw is None or raw == "":
        return default
    try:
        limit = int(str(raw).strip())
    except ValueError:
        limit = -1
    if limit < 1 or limit > maximum:
        raise ApiError(400, message or f"limit must be between 1 and {maximum}; got {raw}.")
    return limit
