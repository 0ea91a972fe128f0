"""Pipedrive's facts for the shared one-line errors (common.api_errors): where its settings live, its error
body (`{"success": false, "error": ...}`, read by common.vendor), its x-ratelimit-* headers."""
from __future__ import annotations

from functools import partial

from ingestion.common import api_errors
from ingestion.common.errors import FunnelhouseError
from ingestion.common.vendor import PIPEDRIVE_RATE_HEADERS, Vendor
from ingestion.pipedrive.settings import DEFAULT_BASE_URL


class PipedriveConfigError(FunnelhouseError):
    """A Pipedrive setting is wrong (base URL, API token, the user's visibility): exit code 2 of `ingest`."""


SETTINGS = "under [sources.pipedrive] in .dlt/{file}.toml or FUNNELHOUSE_PIPEDRIVE_{env}"
PIPEDRIVE = Vendor(
    name="Pipedrive",
    base_url_setting="base_url " + SETTINGS.format(file="config", env="BASE_URL"),
    token_setting="api_token " + SETTINGS.format(file="secrets", env="TOKEN"),
    example_url=DEFAULT_BASE_URL,
    scope_help="use the API token of a user who sees every deal (an admin), or an OAuth app with deals:read, "
               "contacts:read, users:read and recents:read",
    rate_headers=PIPEDRIVE_RATE_HEADERS,
    config_error=PipedriveConfigError,
)
RESPONSE_ACTIONS = api_errors.response_actions(PIPEDRIVE)
explain = partial(api_errors.explain, PIPEDRIVE)
