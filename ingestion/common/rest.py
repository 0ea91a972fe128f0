"""rest_api configuration pieces every CRM source shares: the paging styles as paginator configs (and Zoho's page then
page_token, a paginator of its own), the defaults said
once per source (data selector, response actions, primary key), and the session (retries, limiter, one-line errors,
fast JSON bodies)."""
from __future__ import annotations

from typing import Any

import orjson
from dlt.common import jsonpath
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import Request, Response

from ingestion.common.api_errors import explained_send, path_of
from ingestion.common.errors import FunnelhouseError
from ingestion.common.http import rest_session
from ingestion.common.limits import Limiter
from ingestion.common.vendor import Vendor


def cursor_paging(cursor_path: str, cursor_param: str) -> dict[str, Any]:
    """A cursor in the body, sent back as a query parameter: HubSpot `paging.next.after` -> `after`, Pipedrive
    `additional_data.next_cursor` -> `cursor`. Paging stops when the body has no cursor (missing or null)."""
    return {"type": "cursor", "cursor_path": cursor_path, "cursor_param": cursor_param}


def next_url_paging(next_url_path: str) -> dict[str, Any]:
    """The next page's URL in the body, absolute or relative to the request's (Salesforce `nextRecordsUrl`,
    /services/data/v62.0/query/01g...-2000, on the instance URL); the first request's query parameters are not
    sent again. Paging stops when the body has none (Salesforce: `done` true, no nextRecordsUrl)."""
    return {"type": "json_link", "next_url_path": next_url_path}


def offset_paging(limit: int, limit_param: str = "limit", offset_param: str = "start",
                  has_more_path: str | None = None) -> dict[str, Any]:
    """Offset paging (Pipedrive v1's `start`/`limit` with `additional_data.pagination.more_items_in_collection`)."""
    config: dict[str, Any] = {"type": "offset", "limit": limit, "limit_param": limit_param,
                              "offset_param": offset_param, "total_path": None}
    if has_more_path:
        config["has_more_path"] = has_more_path
    return config


def resource_defaults(data_selector: Any, response_actions: list[Any], paginator: Any = None,
                      primary_key: str | list[str] = "id", **resource: Any) -> dict[str, Any]:
    """rest_api `resource_defaults`: what every resource of a source shares, said once. Each resource then holds
    only what differs (its path, params, incremental); params and json merge key by key with these."""
    endpoint: dict[str, Any] = {"data_selector": data_selector, "response_actions": response_actions}
    if paginator is not None:
        endpoint["paginator"] = paginator
    return {"primary_key": primary_key, **resource, "endpoint": endpoint}


def orjson_bodies(send: Any) -> Any:
    """A session's send whose responses decode their JSON body once, with orjson (requests' decoder is several
    times slower on a page of 50 objects, and dlt asks for the body twice: paginator and data selector); a body
    orjson refuses goes to requests' own decoder and its error."""

    def send_decoding(request: Any, **kwargs: Any) -> Any:
        response = send(request, **kwargs)
        slow_json = response.json
        decoded: list[Any] = []

        def fast_json(**json_kwargs: Any) -> Any:
            if json_kwargs:
                return slow_json(**json_kwargs)
            if not decoded:
                try:
                    decoded.append(orjson.loads(response.content))
                except orjson.JSONDecodeError:
                    return slow_json()
            return decoded[0]

        response.json = fast_json
        return response

    return send_decoding


def api_session(vendor: Vendor, limiter: Limiter | None = None) -> Any:
    """The session of an API source (`client.session` of its rest_api config, and of any RESTClient beside it):
    dlt's retries of 429 (Retry-After honoured) and 5xx with a bounded connect (http.rest_session), `limiter` on
    every try, what the retries leave as one line (api_errors.explained_send), JSON bodies decoded once."""
    session = rest_session()
    if limiter is not None:
        limiter.install(session)
    session.send = orjson_bodies(explained_send(vendor, session.send))
    return session


class PageThenTokenPaginator(BasePaginator):
    """Zoho CRM's paging: `page` / `per_page` for the first `page_limit` records, then `page_token` (the body's
    `info.next_page_token`) in place of `page`, as Get Records refuses a page past the 2,000th record. Paging stops
    when `info.more_records` is false (or missing, or the body has none: a 204 / 304 without content)."""

    def __init__(self, per_page: int = 200, page_limit: int = 2000, page_param: str = "page",
                 token_param: str = "page_token", more_path: str = "info.more_records",
                 token_path: str = "info.next_page_token") -> None:
        super().__init__()
        self.per_page, self.page_limit = per_page, page_limit
        self.page_param, self.token_param = page_param, token_param
        self.more_path, self.token_path = jsonpath.compile_path(more_path), jsonpath.compile_path(token_path)
        self.page, self.token = 1, None

    def init_request(self, request: Request) -> None:
        self._has_next_page, self.page, self.token = True, 1, None
        request.params = {**(request.params or {}), self.page_param: 1, "per_page": self.per_page}
        request.params.pop(self.token_param, None)

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        more = jsonpath.find_values(self.more_path, body)
        if not (more and more[0] is True):
            self._has_next_page = False
            return
        self.page += 1
        if self.token is not None or self.page * self.per_page > self.page_limit:
            tokens = jsonpath.find_values(self.token_path, body)
            if not tokens or not tokens[0]:
                raise FunnelhouseError(f"{path_of(response)}: more records after record {self.page_limit:,} but "
                                       f"no {self.token_path} to page on with {self.token_param}")
            self.token = str(tokens[0])

    def update_request(self, request: Request) -> None:
        if self.token is None:
            request.params[self.page_param] = self.page
        else:
            request.params.pop(self.page_param, None)
            request.params[self.token_param] = self.token


def page_then_token(per_page: int = 200, page_limit: int = 2000) -> PageThenTokenPaginator:
    """Zoho's page -> page_token paging: a new paginator for one resource's `endpoint.paginator` (rest_api's
    dict configs take only its own paginator types; a child resource's is copied per parent record by rest_api,
    a listing's is its own)."""
    return PageThenTokenPaginator(per_page, page_limit)
