"""One-line messages for HubSpot failures: bad token, missing scope, exhausted retries, missing setting."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from dlt.common.configuration.exceptions import ConfigFieldMissingException
from requests import ConnectionError as RequestsConnectionError
from requests import HTTPError, Response, Timeout

from ingestion.common.errors import FunnelhouseError

TOKEN_HELP = "set sources.hubspot.api_token in .dlt/secrets.toml or SOURCES__HUBSPOT__API_TOKEN"
RETRY_HELP = "raise [runtime] request_max_attempts / request_max_retry_delay in .dlt/config.toml"


def _hubspot_message(response: Response) -> str:
    """HubSpot's own `message` from an error body (never contains the token), or ''."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return " ".join(str(message).split())[:300] if message else ""


def _path(response: Any) -> str:
    """The path of a response's (or request's) URL: no host, no query string."""
    return urlsplit(getattr(response, "url", None) or "").path or "?"


def _origin(request: Any) -> str:
    parts = urlsplit(getattr(request, "url", None) or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "the configured base_url"


def token_message(response: Response) -> str:
    return f"HubSpot rejected the API token (401 {response.reason or 'Unauthorized'}): {TOKEN_HELP}"


def reject_token(response: Response, *args: Any, **kwargs: Any) -> None:
    """Response hook for 401: stop the run with a one-line FunnelhouseError instead of an HTTP traceback."""
    if response.status_code == 401:
        raise FunnelhouseError(token_message(response))


def refuse_scope(response: Response, *args: Any, **kwargs: Any) -> None:
    """Response hook for 403: the token is valid but the private app lacks a scope for this endpoint."""
    if response.status_code == 403:
        detail = _hubspot_message(response)
        raise FunnelhouseError(
            f"HubSpot refused {_path(response)} (403 {response.reason or 'Forbidden'}): give the private app "
            "the crm.objects.*.read / crm.objects.owners.read scopes"
            + (f" (HubSpot: {detail})" if detail else "")
        )


RESPONSE_ACTIONS: list[dict[str, Any]] = [
    {"status_code": 401, "action": reject_token},
    {"status_code": 403, "action": refuse_scope},
]


def _chain(exc: BaseException) -> list[BaseException]:
    """exc and every exception it wraps: dlt's `.exception`, `__cause__`, `__context__`, breadth first."""
    seen: set[int] = set()
    queue: list[BaseException | None] = [exc]
    found: list[BaseException] = []
    while queue:
        current = queue.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        wrapped = getattr(current, "exception", None)
        if isinstance(wrapped, BaseException):
            queue.append(wrapped)
        queue.extend([current.__cause__, current.__context__])
    return found


def explain(exc: BaseException) -> str | None:
    """The one-line message for a failed HubSpot run (e.g. from pipeline.extract), or None if unknown.

    dlt wraps what a resource raised in PipelineStepFailed / ResourceExtractionError; this digs out the cause.
    """
    chain = _chain(exc)
    for error in chain:
        if isinstance(error, FunnelhouseError):
            return str(error)
    for error in chain:
        if isinstance(error, ConfigFieldMissingException):
            missing = set(getattr(error, "fields", []) or [])
            if "api_token" in missing:
                return f"HubSpot API token is not configured: {TOKEN_HELP}"
            if "base_url" in missing:
                return (
                    "HubSpot base URL is not configured: set sources.hubspot.base_url in .dlt/config.toml "
                    "(https://api.hubapi.com) or SOURCES__HUBSPOT__BASE_URL"
                )
    for error in chain:
        if isinstance(error, HTTPError) and error.response is not None:
            response = error.response
            status = response.status_code
            detail = _hubspot_message(response)
            suffix = f" (HubSpot: {detail})" if detail else ""
            if status == 401:
                return token_message(response)
            where = _path(response)
            if status == 429:
                return f"HubSpot kept answering 429 (rate limit) for {where} after every retry: {RETRY_HELP}"
            if status >= 500:
                return (
                    f"HubSpot kept failing with {status} for {where} after every retry: "
                    f"try again later or {RETRY_HELP}"
                )
            reason = f" {response.reason}" if response.reason else ""
            return f"HubSpot answered {status}{reason} for {where}{suffix}"
    for error in chain:
        if isinstance(error, (RequestsConnectionError, Timeout)):
            where = _origin(getattr(error, "request", None))
            return (
                f"Cannot reach HubSpot at {where} ({type(error).__name__}): "
                "check sources.hubspot.base_url and the network"
            )
    return None
