"""Salesforce's facts for the shared one-line errors (common.api_errors): where its settings live, what a 403 asks
for, and the one line of a spent daily API allocation (403 REQUEST_LIMIT_EXCEEDED)."""
from __future__ import annotations

from functools import partial
from typing import Any

from requests import Response

from ingestion.common import api_errors
from ingestion.common.errors import FunnelhouseError
from ingestion.common.limits import usage
from ingestion.common.vendor import SALESFORCE_RATE_HEADERS, Vendor

SECRETS = ("client_id / client_secret (and refresh_token, if the app uses that grant) under [sources.salesforce] in "
           ".dlt/secrets.toml or FUNNELHOUSE_SALESFORCE_CLIENT_ID / FUNNELHOUSE_SALESFORCE_CLIENT_SECRET / "
           "FUNNELHOUSE_SALESFORCE_REFRESH_TOKEN")
LOGIN_URL_SETTING = ("login_url under [sources.salesforce] in .dlt/config.toml or FUNNELHOUSE_SALESFORCE_LOGIN_URL "
                     "(your My Domain, https://<domain>.my.salesforce.com)")
DAILY_CAP_HELP = ("the org's 24-hour API request allocation is used up: run again once the last 24 hours' usage has "
                  "dropped below it (Setup > Company Information > API Requests, Last 24 Hours), or buy more API "
                  "calls; the next run goes on from the saved cursor")

SALESFORCE = Vendor("Salesforce", LOGIN_URL_SETTING, SECRETS, "https://login.salesforce.com",
                    scope_help="give the connected app's run-as user the API Enabled and View All Data permissions",
                    rate_headers=SALESFORCE_RATE_HEADERS)


def _daily_cap(response: Response, *args: Any, **kwargs: Any) -> None:
    """403 REQUEST_LIMIT_EXCEEDED: one line saying what to do (the shared 403 line is about permissions)."""
    if response.status_code == 403 and "REQUEST_LIMIT_EXCEEDED" in SALESFORCE.message(response):
        counts = usage(SALESFORCE_RATE_HEADERS, response)
        used = f", api-usage {counts[0]:,}/{counts[1]:,}" if counts else ""
        raise FunnelhouseError(f"Salesforce refused {api_errors.path_of(response)} (403 REQUEST_LIMIT_EXCEEDED"
                               f"{used}): {DAILY_CAP_HELP}")


_shared = api_errors.response_actions(SALESFORCE)[0]


def refuse_errors(response: Response, *args: Any, **kwargs: Any) -> Response:
    """An error answer as one line, the spent daily allocation first; a good answer is returned. The one response
    action of every rest_api resource (dlt decodes the body once per action), and called after the requests sent
    outside rest_api (describe, count, Bulk API)."""
    _daily_cap(response)
    _shared(response)
    return response


RESPONSE_ACTIONS: list[Any] = [refuse_errors]


check_base_url = partial(api_errors.check_base_url, SALESFORCE)
explain = partial(api_errors.explain, SALESFORCE, secret_fields=("client_id", "client_secret"),
                  secret_name="client id / client secret")
