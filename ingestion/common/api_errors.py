"""One-line messages for a REST source's failures, written once for every vendor (common.vendor.Vendor says whose):
a rejected token, a missing scope, retries exhausted (429, 5xx), an unreachable host, a base URL or setting missing."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from dlt.common.configuration.exceptions import ConfigFieldMissingException
from requests import ConnectionError as RequestsConnectionError
from requests import HTTPError, Response, Timeout

from ingestion.common.errors import FunnelhouseError
from ingestion.common.explain import exception_chain
from ingestion.common.http import RETRY_AFTER_CAP_SECONDS, SILENT_MAX_ATTEMPTS, cannot_connect, retry_after_seconds
from ingestion.common.vendor import Vendor

RETRY_HELP = "raise [runtime] request_max_attempts / request_max_retry_delay in .dlt/config.toml"


def path_of(response: Any) -> str:
    """The path of a response's (or request's) URL: no host, no query string."""
    return urlsplit(getattr(response, "url", None) or "").path or "?"


def origin_of(request: Any) -> str:
    parts = urlsplit(getattr(request, "url", None) or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "the configured base_url"


def token_message(vendor: Vendor, response: Response) -> str:
    return f"{vendor.name} rejected the API token (401 {response.reason or 'Unauthorized'}): {vendor.token_help}"


def response_message(vendor: Vendor, response: Response) -> str:
    """What an error answer the vendor kept giving (after the retries) means, and what to do."""
    status = response.status_code
    if status == 401:
        return token_message(vendor, response)
    where = path_of(response)
    wait = retry_after_seconds(response)
    if status in (429, 503) and wait is not None and wait > RETRY_AFTER_CAP_SECONDS:
        return (f"{vendor.name} answered {status} for {where} and asks to wait {wait:,.0f} s (Retry-After), longer "
                f"than the {RETRY_AFTER_CAP_SECONDS:.0f} s a run waits" + vendor.said(response)
                + ": run again later, or check the account's API budget")
    if status == 429:
        return f"{vendor.name} kept answering 429 (rate limit) for {where} after every retry: {RETRY_HELP}"
    if status >= 500:
        return (f"{vendor.name} kept failing with {status} for {where} after every retry: try again later or "
                f"{RETRY_HELP}")
    reason = f" {response.reason}" if response.reason else ""
    return f"{vendor.name} answered {status}{reason} for {where}" + vendor.said(response)


def response_actions(vendor: Vendor) -> list[Any]:
    """rest_api response actions: 401, 403 and the other 4xx end the run in one line (429 and 5xx are retried
    first, see explained_send); 2xx go on. One action, as dlt decodes the body's text once per action and answer."""

    def refuse_errors(response: Response, *args: Any, **kwargs: Any) -> None:
        status = response.status_code
        if status == 401:
            raise vendor.config_error(token_message(vendor, response))
        if status == 403:
            raise vendor.config_error(
                f"{vendor.name} refused {path_of(response)} (403 {response.reason or 'Forbidden'}): "
                f"{vendor.scope_help}" + vendor.said(response))
        if 400 <= status < 500 and status != 429:
            hint = ""
            if status == 404:
                hint = (f": is {origin_of(response.request)} {vendor.name}'s API ({vendor.example_url})? check "
                        f"{vendor.base_url_setting}{vendor.or_option}")
            raise FunnelhouseError(response_message(vendor, response) + hint)

    return [refuse_errors]


def unreachable_message(vendor: Vendor, error: BaseException) -> str:
    """A host that refused, did not resolve or did not answer in time, after the bounded retries."""
    where = origin_of(getattr(error, "request", None))
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
    return (f"Cannot reach {vendor.name} at {where} ({cause}): check {vendor.base_url_setting}{vendor.or_option}, "
            "and the network")


def check_base_url(vendor: Vendor, base_url: str) -> None:
    """A base URL requests cannot use (no http:// or https://, no host) stops the run before any request."""
    parts = urlsplit(str(base_url).strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return
    hint = f"http://{base_url}" if "://" not in str(base_url) else vendor.example_url
    raise vendor.config_error(
        f"{vendor.name} base URL {str(base_url)!r} is not an http(s) URL: write it with its scheme, e.g. {hint!r}, "
        f"in {vendor.base_url_setting}{vendor.or_option}"
    )


def explained_send(vendor: Vendor, send: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a session's (retrying) send: what is left after the retries becomes a one-line FunnelhouseError, so
    every caller (ingest, Dagster, the demo) shows the cause instead of dlt's wrapped traceback."""

    def send_explained(request: Any, **kwargs: Any) -> Response:
        try:
            response = send(request, **kwargs)
        except (RequestsConnectionError, Timeout) as error:
            raise FunnelhouseError(unreachable_message(vendor, error)) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise FunnelhouseError(response_message(vendor, response))
        return response

    return send_explained


def explain(vendor: Vendor, exc: BaseException, secret_fields: tuple[str, ...] = ("api_token",),
            secret_name: str = "API token") -> str | None:
    """The one-line message for a failed run (e.g. from pipeline.extract), or None if unknown. dlt wraps what a
    resource raised in PipelineStepFailed / ResourceExtractionError; this digs out the cause."""
    chain = exception_chain(exc)
    for error in chain:
        if isinstance(error, FunnelhouseError):
            return str(error)
    for error in chain:
        if isinstance(error, ConfigFieldMissingException):
            missing = set(getattr(error, "fields", []) or [])
            if missing & set(secret_fields):
                return f"{vendor.name} {secret_name} is not configured: {vendor.token_help}"
            if "base_url" in missing:
                return (f"{vendor.name} base URL is not configured: set {vendor.base_url_setting} "
                        f"({vendor.example_url})")
    for error in chain:
        if isinstance(error, HTTPError) and error.response is not None:
            return response_message(vendor, error.response)
    for error in chain:
        if isinstance(error, (RequestsConnectionError, Timeout)):
            return unreachable_message(vendor, error)
    return None
