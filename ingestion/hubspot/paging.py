"""Paginator for HubSpot's CRM search: `after` in the JSON body, a fresh query past the 10,000-result cap."""
from __future__ import annotations

from typing import Any

from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Request, Response

from ingestion.common.errors import FunnelhouseError
from ingestion.hubspot.rows import epoch_ms


class SearchPaginator(JSONResponseCursorPaginator):
    """Pages POST /crm/v3/objects/{type}/search by `paging.next.after`, put into the JSON body as `after`.

    A search query can page through at most `result_limit` (10,000) results; past that HubSpot answers 400.
    HubSpot's advice is to narrow the query instead, so when the next page would cross the cap the paginator
    starts a new query: the first filter (the modified-since filter, sorted ascending on the same property)
    becomes `GTE <modified time of the last object seen>` and `after` is dropped. Objects sharing that
    timestamp are returned again; the source drops ids it has already seen in the run.
    """

    def __init__(self, modified_property: str, page_size: int, result_limit: int) -> None:
        super().__init__(cursor_path="paging.next.after", cursor_body_path="after")
        self.modified_property = modified_property
        self.page_size = page_size
        self.result_limit = result_limit
        self._restart_at: int | None = None

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        self._restart_at = None
        if not self.has_next_page or not data:
            return
        try:
            next_offset = int(self._next_reference)
        except (TypeError, ValueError):
            return  # not an offset: trust HubSpot's cursor
        if next_offset + self.page_size <= self.result_limit:
            return
        last = data[-1]
        properties = last.get("properties") if isinstance(last, dict) else None
        restart_at = epoch_ms((properties or {}).get(self.modified_property))
        if restart_at is None:
            raise FunnelhouseError(
                f"HubSpot search: cannot page past {self.result_limit:,} results because the last object "
                f"has no readable {self.modified_property}"
            )
        self._restart_at = restart_at

    def update_request(self, request: Request) -> None:
        if self._restart_at is None:
            super().update_request(request)
            return
        body = request.json or {}
        first = body["filterGroups"][0]["filters"][0]
        if first.get("operator") == "GTE" and str(first.get("value")) == str(self._restart_at):
            raise FunnelhouseError(
                f"HubSpot search: more than {self.result_limit:,} objects share {self.modified_property} = "
                f"{self._restart_at} (epoch ms); the search API cannot page through them: "
                "run a full load instead"
            )
        first["operator"] = "GTE"
        first["value"] = str(self._restart_at)
        body.pop("after", None)
        request.json = body
