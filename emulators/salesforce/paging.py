"""Query results in batches: `totalSize`, `done`, and `nextRecordsUrl` `/services/data/v62.0/query/<locator>-<offset>`
while rows remain. A locator keeps the matched rows of its query, as Salesforce's server-side cursor does."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

from emulators.salesforce import soql
from emulators.salesforce.errors import SalesforceError
from emulators.salesforce.org import API_VERSION, Org, salesforce_id

DEFAULT_BATCH = 2000
MIN_BATCH, MAX_BATCH = 200, 2000
OPEN_CURSORS = 50  # the oldest locator is dropped past this many
_BATCH_OPTION = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


def batch_size(query_options: str | None) -> int:
    """The batch from `Sforce-Query-Options: batchSize=N`: 2,000 by default, N held within 200..2,000."""
    match = _BATCH_OPTION.search(query_options or "")
    if match is None:
        return DEFAULT_BATCH
    return max(MIN_BATCH, min(MAX_BATCH, int(match.group(1))))


def invalid_locator() -> SalesforceError:
    return SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")


class Cursors:
    """Open query locators: each the bound query, its matched rows and its batch size."""

    def __init__(self) -> None:
        self._open: OrderedDict[str, tuple[soql.Query, list[dict[str, Any]], int]] = OrderedDict()
        self._lock = threading.Lock()
        self._count = 0

    def first_page(self, query: soql.Query, rows: list[dict[str, Any]], batch: int) -> dict[str, Any]:
        if query.count:
            return {"totalSize": len(rows), "done": True, "records": []}
        locator = None
        if len(rows) > batch:
            with self._lock:
                self._count += 1
                locator = salesforce_id("01g", self._count)
                self._open[locator] = (query, rows, batch)
                while len(self._open) > OPEN_CURSORS:
                    self._open.popitem(last=False)
        return self._page(locator, query, rows, 0, batch)

    def next_page(self, locator_and_offset: str) -> dict[str, Any]:
        locator, _, offset = locator_and_offset.rpartition("-")
        with self._lock:
            cursor = self._open.get(locator)
        if cursor is None or not offset.isdigit() or int(offset) > len(cursor[1]):
            raise invalid_locator()
        query, rows, batch = cursor
        return self._page(locator, query, rows, int(offset), batch)

    def _page(
        self, locator: str | None, query: soql.Query, rows: list[dict[str, Any]], offset: int, batch: int
    ):
        end = offset + batch
        body: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows)}
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/v{API_VERSION}/query/{locator}-{end}"
        elif locator is not None:
            with self._lock:
                self._open.pop(locator, None)
        body["records"] = [Org.render(query, row) for row in rows[offset:end]]
        return body
