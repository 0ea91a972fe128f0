"""Bulk API 2.0 query jobs: create, poll (UploadComplete -> InProgress -> JobComplete, one step a poll), and the
results as CSV sets with `Sforce-Locator` (`null` after the last) and `Sforce-NumberOfRecords`."""

from __future__ import annotations

import base64
import csv
import io
import threading
from typing import Any

from emulators.salesforce import soql
from emulators.salesforce.auth import USER_ID
from emulators.salesforce.errors import SalesforceError, not_found
from emulators.salesforce.org import API_VERSION, Org, salesforce_id

STATES = ("UploadComplete", "InProgress", "JobComplete")
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
DEFAULT_MAX_RECORDS = 50_000


def invalid_job(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALIDJOB", message)


def csv_value(value: Any, field_type: str) -> str:
    """A value as Bulk API 2.0 writes it: datetimes in UTC with Z, booleans lower-case, null as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if field_type == "datetime":
        return value.replace("+0000", "Z")
    return str(value)


def locator_for(offset: int) -> str:
    """An opaque locator (base64 of the offset, as Salesforce's look)."""
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def offset_of(locator: str) -> int | None:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode()
    except ValueError:
        return None
    return int(text) if text.isdigit() else None


class BulkJobs:
    """The org's query jobs; each keeps the rows it matched when it was created."""

    def __init__(self, org: Org):
        self.org = org
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            raise invalid_job(f"Invalid operation: {operation}; a query job's operation is query or queryAll")
        if not isinstance(body.get("query"), str) or not body["query"].strip():
            raise invalid_job("The query job needs a query")
        delimiter = body.get("columnDelimiter", "COMMA")
        line_ending = body.get("lineEnding", "LF")
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
            raise invalid_job(f"Invalid columnDelimiter {delimiter} or lineEnding {line_ending}")
        query, rows = self.org.select(body["query"], include_deleted=operation == "queryAll")
        if query.count:
            raise invalid_job("Bulk API 2.0 query jobs do not support COUNT(); use the REST query resource")
        now = self.org.now()
        with self._lock:
            job_id = salesforce_id("750", len(self._jobs) + 1)
            job = {
                "id": job_id,
                "operation": operation,
                "object": query.sobject,
                "createdById": USER_ID,
                "createdDate": now,
                "systemModstamp": now,
                "state": STATES[0],
                "concurrencyMode": "Parallel",
                "contentType": "CSV",
                "apiVersion": float(API_VERSION),
                "lineEnding": line_ending,
                "columnDelimiter": delimiter,
            }
            self._jobs[job_id] = {"info": job, "query": query, "rows": rows}
            return dict(job)

    @property
    def created(self) -> int:
        """Jobs created so far."""
        return len(self._jobs)

    def _job(self, job_id: str) -> dict[str, Any]:
        job = self._jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def poll(self, job_id: str) -> dict[str, Any]:
        """Job info; each poll moves the job one state on until JobComplete."""
        with self._lock:
            job = self._job(job_id)
            info = job["info"]
            step = STATES.index(info["state"])
            info["state"] = STATES[min(step + 1, len(STATES) - 1)]
            done = info["state"] == "JobComplete"
            return {
                **info,
                "jobType": "V2Query",
                "numberRecordsProcessed": len(job["rows"]) if done else 0,
                "retries": 0,
                "totalProcessingTime": 0,
            }

    def results(self, job_id: str, locator: str | None, max_records: int | None) -> tuple[str, str, int]:
        """(CSV text, next locator or "null", rows in this set)."""
        with self._lock:
            job = self._job(job_id)
        info, query, rows = job["info"], job["query"], job["rows"]
        if info["state"] != "JobComplete":
            raise SalesforceError(
                412,
                "JOB_NOT_COMPLETE",
                "can only download query results of successfully completed bulk job with status: JOB_COMPLETE. "
                f"Current status: {'IN_PROGRESS' if info['state'] == 'InProgress' else 'UPLOAD_COMPLETE'}",
            )
        offset = 0 if not locator else offset_of(locator)
        if offset is None or offset > len(rows):
            raise SalesforceError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}")
        size = DEFAULT_MAX_RECORDS if max_records is None else max_records
        chunk = rows[offset : offset + size]
        end = offset + len(chunk)
        return (
            self._csv(query, chunk, DELIMITERS[info["columnDelimiter"]], LINE_ENDINGS[info["lineEnding"]]),
            locator_for(end) if end < len(rows) else "null",
            len(chunk),
        )

    @staticmethod
    def _csv(query: soql.Query, rows: list[dict[str, Any]], delimiter: str, line_ending: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator=line_ending, quoting=csv.QUOTE_ALL)
        writer.writerow(query.fields)
        for row in rows:
            writer.writerow([csv_value(row.get(f), query.field_types[f]) for f in query.fields])
        return out.getvalue()
