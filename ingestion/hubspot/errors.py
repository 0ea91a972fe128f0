"""One-line messages for HubSpot failures: bad token, missing scope, exhausted retries, missing setting."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from dlt.common.configuration.exceptions import ConfigFieldMissingException
from requests import ConnectionError as RequestsConnectionError
from requests import HTTPError, Response, Timeout

from ingestion.common.errors import FunnelhouseError
from ingestion.common.explain import exception_chain
from ingestion.common.http import SILENT_MAX_ATTEMPTS, cannot_connect

TOKEN_SETTING = "api_token under [sources.hubspot] in .dlt/secrets.toml or FUNNELHOUSE_HUBSPOT_TOKEN"
BASE_URL_SETTING = "base_url under [sources.hubspot] in .dlt/config.toml or FUNNELHOUSE_HUBSPOT_BASE_URL"
TOKEN_HELP = f"set {TOKEN_SETTING}"
RETRY_HELP = "raise [runtime] request_max_attempts / request_max_retry_delay in .dlt/config.toml"


class HubSpotConfigError(FunnelhouseError):
    """A HubSpot setting is wrong (base URL, token, the private app's scopes): a configuration error, exit code 2
    of `funnelhouse ingest` (funnelhouse.cli.is_configuration_error)."""


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
        raise HubSpotConfigError(token_message(response))


def refuse_scope(response: Response, *args: Any, **kwargs: Any) -> None:
    """Response hook for 403: the token is valid but the private app lacks a scope for this endpoint."""
    if response.status_code == 403:
        detail = _hubspot_message(response)
        raise HubSpotConfigError(
            f"HubSpot refused {_path(response)} (403 {response.reason or 'Forbidden'}): give the private app "
            "the crm.objects.*.read / crm.objects.owners.read scopes"
            + (f" (HubSpot: {detail})" if detail else "")
        )


def refuse_other_errors(response: Response, *args: Any, **kwargs: Any) -> None:
    """Response hook for the other 4xx answers (429 and 5xx are retried first, see explained_send)."""
    status = response.status_code
    if 400 <= status < 500 and status != 429:
        hint = ""
        if status == 404:
            hint = (f": is {_origin(response.request)} HubSpot's API (https://api.hubapi.com)? check {BASE_URL_SETTING}"
                    " (or --hubspot-url)")
        raise FunnelhouseError(response_message(response) + hint)


def refuse_errors(response: Response, *args: Any, **kwargs: Any) -> None:
    """Response hook for every answer: 401, 403 and the other 4xx end the run in one line (429 and 5xx are
    retried first, see explained_send); 200 and 207 go on."""
    for hook in (reject_token, refuse_scope, refuse_other_errors):
        hook(response)


# one action, as dlt decodes the body's text once per action and answer; an endpoint that ignores a status lists
# that action first
RESPONSE_ACTIONS: list[Any] = [refuse_errors]


def response_message(response: Response) -> str:
    """What an error answer HubSpot kept giving (after dlt's retries) means, and what to do."""
    status = response.status_code
    if status == 401:
        return token_message(response)
    where = _path(response)
    if status == 429:
        return f"HubSpot kept answering 429 (rate limit) for {where} after every retry: {RETRY_HELP}"
    if status >= 500:
        return f"HubSpot kept failing with {status} for {where} after every retry: try again later or {RETRY_HELP}"
    detail = _hubspot_message(response)
    reason = f" {response.reason}" if response.reason else ""
    return f"HubSpot answered {status}{reason} for {where}" + (f" (HubSpot: {detail})" if detail else "")


def unreachable_message(error: BaseException) -> str:
    """A HubSpot host that refused, did not resolve or did not answer in time, after the bounded retries."""
    where = _origin(getattr(error, "request", None))
    text = str(error)
    if "NameResolutionError" in text or "Name or service not known" in text or "getaddrinfo" in text:
        cause = "unknown host name"
    elif "Connection refused" in text:
        cause = "connection refused"
    elif cannot_connect(error):
        cause = "connect timed out" if isinstance(error, Timeout) or "timed out" in text else "cannot connect"
    elif isinstance(error, Timeout):
        cause = (f"it took the connection but sent no answer within [runtime] request_timeout, {SILENT_MAX_ATTEMPTS} "
                 "times")
    else:
        cause = f"connection lost: {type(error).__name__}"
    return f"Cannot reach HubSpot at {where} ({cause}): check {BASE_URL_SETTING} (or --hubspot-url), and the network"


def check_base_url(base_url: str) -> None:
    """A base URL requests cannot use (no http:// or https://, no host) stops the run before any request."""
    parts = urlsplit(str(base_url).strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return
    hint = f"http://{base_url}" if "://" not in str(base_url) else "https://api.hubapi.com"
    raise HubSpotConfigError(
        f"HubSpot base URL {str(base_url)!r} is not an http(s) URL: write it with its scheme, e.g. {hint!r}, in "
        f"{BASE_URL_SETTING} (or --hubspot-url)"
    )


def explained_send(send: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a session's (retrying) send: what is left after the retries becomes a one-line FunnelhouseError, so
    every caller (ingest, Dagster, the demo) shows the cause instead of dlt's wrapped traceback."""

    def send_explained(request: Any, **kwargs: Any) -> Response:
        try:
            response = send(request, **kwargs)
        except (RequestsConnectionError, Timeout) as error:
            raise FunnelhouseError(unreachable_message(error)) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise FunnelhouseError(response_message(response))
        return response

    return send_explained


def explain(exc: BaseException) -> str | None:
    """The one-line message for a failed HubSpot run (e.g. from pipeline.extract), or None if unknown.

    dlt wraps what a resource raised in PipelineStepFailed / ResourceExtractionError; this digs out the cause.
    """
    chain = exception_chain(exc)
    for error in chain:
        if isinstance(error, FunnelhouseError):
            return str(error)
    for error in chain:
        if isinstance(error, ConfigFieldMissingException):
            missing = set(getattr(error, "fields", []) or [])
            if "api_token" in missing:
                return f"HubSpot API token is not configured: {TOKEN_HELP}"
            if "base_url" in missing:
                return f"HubSpot base URL is not configured: set {BASE_URL_SETTING} (https://api.hubapi.com)"
    for error in chain:
        if isinstance(error, HTTPError) and error.response is not None:
            return response_message(error.response)
    for error in chain:
        if isinstance(error, (RequestsConnectionError, Timeout)):
            return unreachable_message(error)
    return None
