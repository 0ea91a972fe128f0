"""Salesforce's REST error bodies: a JSON list of {"message", "errorCode"}, with the texts Salesforce writes."""

from __future__ import annotations

from typing import Any

from emulators.common.vendor import ApiError

SESSION_EXPIRED = "Session expired or invalid"
REQUEST_LIMIT = "TotalRequests Limit exceeded."
CUSTOM_FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
CUSTOM_OBJECT_HINT = (
    "If you are attempting to use a custom object, be sure to append the '__c' after the entity name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)


class SalesforceError(ApiError):
    """An answer with Salesforce's list body; `status` is the HTTP status. The harness's `api()` wrapper
    renders it through the vendor's error body (`details["error_code"]`)."""

    def __init__(self, status: int, error_code: str, message: str):
        super().__init__(status, message, error_code=error_code)
        self.error_code = error_code

    def body(self) -> list[dict[str, Any]]:
        return error_body(self.error_code, self.message)


def error_body(error_code: str, message: str) -> list[dict[str, Any]]:
    """`[{"message": ..., "errorCode": ...}]`, the shape of every REST error."""
    return [{"message": message, "errorCode": error_code}]


def query_error(error_code: str, soql: str, position: int, text: str) -> SalesforceError:
    """A SOQL error as Salesforce words it: the offending line, a caret under the column, then the reason.

    >>> query_error("INVALID_FIELD", "SELECT Foo FROM Lead", 7, "No such column").message
    "\\nSELECT Foo FROM Lead\\n       ^\\nERROR at Row:1:Column:8\\nNo such column"
    """
    before = soql[:position]
    row = before.count("\n") + 1
    line_start = before.rfind("\n") + 1
    column = position - line_start + 1
    line_end = soql.find("\n", position)
    line = soql[line_start : len(soql) if line_end < 0 else line_end]
    message = f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{text}"
    return SalesforceError(400, error_code, message)


def no_such_column(soql: str, position: int, field: str, sobject: str) -> SalesforceError:
    return query_error(
        "INVALID_FIELD",
        soql,
        position,
        f"No such column '{field}' on entity '{sobject}'. {CUSTOM_FIELD_HINT}",
    )


def unsupported_type(soql: str, position: int, sobject: str) -> SalesforceError:
    return query_error(
        "INVALID_TYPE", soql, position, f"sObject type '{sobject}' is not supported. {CUSTOM_OBJECT_HINT}"
    )


def unexpected_token(soql: str, position: int, token: str) -> SalesforceError:
    return query_error("MALFORMED_QUERY", soql, position, f"unexpected token: {token}")


def session_expired() -> SalesforceError:
    return SalesforceError(401, "INVALID_SESSION_ID", SESSION_EXPIRED)


def request_limit_exceeded() -> SalesforceError:
    return SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", REQUEST_LIMIT)


def not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
