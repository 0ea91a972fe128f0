"""HubSpot's facts for the shared one-line errors (common.api_errors): where its settings live, how its error body
reads, what a 403 asks for; the names the source, the batch reader and the CLI use, bound to HubSpot."""
from __future__ import annotations

from functools import partial
from typing import Any

from requests import Response

from ingestion.common import api_errors
from ingestion.common.errors import FunnelhouseError
from ingestion.common.vendor import HUBSPOT_RATE_HEADERS, Vendor

TOKEN_SETTING = "api_token under [sources.hubspot] in .dlt/secrets.toml or FUNNELHOUSE_HUBSPOT_TOKEN"
BASE_URL_SETTING = "base_url under [sources.hubspot] in .dlt/config.toml or FUNNELHOUSE_HUBSPOT_BASE_URL"
TOKEN_HELP = f"set {TOKEN_SETTING}"
RETRY_HELP = api_errors.RETRY_HELP


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


HUBSPOT = Vendor(
    name="HubSpot",
    base_url_setting=BASE_URL_SETTING,
    token_setting=TOKEN_SETTING,
    example_url="https://api.hubapi.com",
    scope_help="give the private app the crm.objects.*.read / crm.objects.owners.read scopes",
    url_option="--hubspot-url",
    message=_hubspot_message,
    rate_headers=HUBSPOT_RATE_HEADERS,
    config_error=HubSpotConfigError,
)

# one action: an endpoint that ignores a status lists that action first
RESPONSE_ACTIONS: list[Any] = api_errors.response_actions(HUBSPOT)
refuse_errors = RESPONSE_ACTIONS[0]
token_message = partial(api_errors.token_message, HUBSPOT)
response_message = partial(api_errors.response_message, HUBSPOT)
unreachable_message = partial(api_errors.unreachable_message, HUBSPOT)
check_base_url = partial(api_errors.check_base_url, HUBSPOT)
explained_send = partial(api_errors.explained_send, HUBSPOT)
explain = partial(api_errors.explain, HUBSPOT)
