"""Zoho CRM's facts for the shared one-line errors (common.api_errors): where its settings live, what a 403 asks for;
its error body `{"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}` is
read by common.vendor.vendor_message as "INVALID_TOKEN: invalid oauth token" (401 INVALID_TOKEN: refreshed once by
common.auth; 429 TOO_MANY_REQUESTS and 5xx: retried by the session; 400 REQUIRED_PARAM_MISSING: one line)."""
from __future__ import annotations

from functools import partial

from ingestion.common import api_errors
from ingestion.common.errors import FunnelhouseError
from ingestion.common.vendor import Vendor
from ingestion.zoho.settings import DEFAULT_ACCOUNTS_URL


class ZohoConfigError(FunnelhouseError):
    """A Zoho setting is wrong (accounts server, API domain, client or refresh token, scopes): exit code 2."""


SETTINGS = "under [sources.zoho] in .dlt/{file}.toml or FUNNELHOUSE_ZOHO_{env}"
SECRETS = ("client_id / client_secret / refresh_token " + SETTINGS.format(file="secrets", env="CLIENT_ID / "
           "FUNNELHOUSE_ZOHO_CLIENT_SECRET / FUNNELHOUSE_ZOHO_REFRESH_TOKEN")
           + ", and that the refresh token was issued by the accounts server of the org's data centre")
ACCOUNTS_URL_SETTING = ("accounts_url (the data centre's accounts server: https://accounts.zoho.com, .eu, .in, "
                        ".com.cn, ...) and api_domain " + SETTINGS.format(file="config", env="ACCOUNTS_URL / "
                        "FUNNELHOUSE_ZOHO_API_DOMAIN"))
SCOPES = ("ZohoCRM.modules.READ, ZohoCRM.settings.READ, ZohoCRM.users.READ (and ZohoCRM.coql.READ)")

ZOHO = Vendor(
    name="Zoho CRM",
    base_url_setting=ACCOUNTS_URL_SETTING,
    token_setting=SECRETS,
    example_url=DEFAULT_ACCOUNTS_URL,
    scope_help=f"grant the refresh token the scopes {SCOPES}, for a user whose profile may read every module",
    config_error=ZohoConfigError,
)
RESPONSE_ACTIONS = api_errors.response_actions(ZOHO)
check_base_url = partial(api_errors.check_base_url, ZOHO)
explain = partial(api_errors.explain, ZOHO, secret_fields=("client_id", "client_secret", "refresh_token"),
                  secret_name="client id / client secret / refresh token")
