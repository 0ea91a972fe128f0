"""Bulk API 2.0 query jobs, what a rest_api config cannot say: create the job, poll it until JobComplete, then read
its CSV result sets one after another by `Sforce-Locator` (the literal `null` after the last)."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from dlt.sources.helpers.rest_client import RESTClient

from ingestion.common.errors import FunnelhouseError
from ingestion.salesforce.errors import refuse_errors
from ingestion.salesforce.rows import csv_records, text_lines

DONE, FAILED = "JobComplete", ("Failed", "Aborted")
CHUNK_BYTES = 1 << 16


class BulkQuery:
    """Reads one SOQL query through a Bulk API 2.0 query job; `requests` counts what it sent (create, polls, sets).
    `poll_seconds` between two polls (doubling up to 30 s), at most `max_wait_seconds` in all."""

    def __init__(self, client: RESTClient, max_records: int, poll_seconds: float, page_size: int,
                 max_wait_seconds: float = 3600.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client, self.max_records, self.poll_seconds = client, max_records, poll_seconds
        self.page_size, self.max_wait_seconds, self.sleep = page_size, max_wait_seconds, sleep
        self.requests = 0

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        self.requests += 1
        return refuse_errors(self.client.request(path, method=method, **kwargs))

    def _wait(self, job_id: str) -> None:
        waited, pause = 0.0, self.poll_seconds
        while True:
            job = self._send("GET", f"jobs/query/{job_id}").json()
            state = job.get("state")
            if state == DONE:
                return
            if state in FAILED:
                raise FunnelhouseError(f"Salesforce Bulk API query job {job_id} ended {state}: "
                                       f"{job.get('errorMessage') or 'no reason given'}; run again, or read by REST "
                                       "(raise bulk_threshold)")
            if waited >= self.max_wait_seconds:
                raise FunnelhouseError(f"Salesforce Bulk API query job {job_id} is still {state} after "
                                       f"{waited:,.0f} s; run again later, or read by REST (raise bulk_threshold)")
            self.sleep(pause)
            waited, pause = waited + pause, min(30.0, pause * 2 or 0.0)

    def pages(self, soql: str, query_all: bool) -> Iterator[list[dict[str, Any]]]:
        """The query's records as pages of up to `page_size` CSV records (str values, null for an empty cell)."""
        job = self._send("POST", "jobs/query", json={"operation": "queryAll" if query_all else "query",
                                                     "query": soql}).json()
        self._wait(job["id"])
        delimiter = job.get("columnDelimiter") or "COMMA"
        locator = None
        while True:
            params = {"maxRecords": self.max_records, **({"locator": locator} if locator else {})}
            response = self._send("GET", f"jobs/query/{job['id']}/results", params=params,
                                  headers={"Accept": "text/csv"}, stream=True)
            page: list[dict[str, Any]] = []
            for record in csv_records(text_lines(response.iter_content(CHUNK_BYTES)), delimiter):
                page.append(record)
                if len(page) == self.page_size:
                    yield page
                    page = []
            if page:
                yield page
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                return
