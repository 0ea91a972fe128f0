"""Auth for REST CRM sources on dlt's auth classes: a header token (Pipedrive `x-api-token`), a bearer token
(HubSpot's private app) and an OAuth 2.0 token endpoint (Salesforce: client-credentials or refresh-token grant,
`instance_url` from the answer, an expired session refreshed once, then one clear line). Secrets are never shown."""
from __future__ import annotations

from typing import Annotated, Any, Optional

from dlt.common.configuration import configspec
from dlt.common.configuration.specs.base_configuration import NotResolved
from dlt.common.typing import TSecretStrValue
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, BearerTokenAuth, OAuth2ClientCredentials
from requests import PreparedRequest, Response

from ingestion.common.errors import FunnelhouseError
from ingestion.common.http import rest_session
from ingestion.common.vendor import vendor_message

GRANTS = ("client_credentials", "refresh_token")
REFRESHED = "_funnelhouse_token_refreshed"  # set on a request re-sent with a new token: a second 401 is final


def bearer(token: str) -> BearerTokenAuth:
    """`Authorization: Bearer <token>` (HubSpot private app tokens, Pipedrive OAuth access tokens)."""
    return BearerTokenAuth(token)


def header_token(header: str, token: str) -> APIKeyAuth:
    """The token in a header of its own (Pipedrive: `x-api-token`)."""
    return APIKeyAuth(name=header, api_key=token, location="header")


def _hidden(value: Any) -> str:
    return "'***'" if value else "None"


@configspec
class TokenEndpointAuth(OAuth2ClientCredentials):
    """OAuth 2.0 from a token endpoint (`access_token_url`, e.g. https://<my domain>/services/oauth2/token, Zoho's
    https://accounts.zoho.com/oauth/v2/token with `scheme` "Zoho-oauthtoken" and `instance_url_key` "api_domain").

    `grant_type` "client_credentials" sends client_id and client_secret; "refresh_token" sends them with
    `refresh_token`. The answer's `access_token` is sent as a bearer token and its `instance_url` (Salesforce) is
    kept: the source's base URL comes from it (`login()` before building the rest_api config). An answer 401 (an
    expired or revoked session, Salesforce's INVALID_SESSION_ID) gets one new token and the request once more;
    a second 401, or a token endpoint that refuses, stops the run with one line saying what to check (`check`).
    """

    refresh_token: Optional[TSecretStrValue] = None
    grant_type: str = "client_credentials"
    vendor: str = "the API"
    check: str = "the client id, client secret and refresh token in .dlt/secrets.toml"
    instance_url: Annotated[Optional[str], NotResolved()] = None
    scheme: str = "Bearer"  # Authorization: <scheme> <token> (Zoho: Zoho-oauthtoken)
    instance_url_key: str = "instance_url"  # the answer's key naming the API's URL (Zoho: api_domain)
    default_token_expiration: int = 7200  # Salesforce's answer has no expires_in; its default session is 2 hours

    def __post_init__(self) -> None:
        if self.session is None:  # the bounded, retrying session that leaves statuses to us (not dlt's default)
            self.session = rest_session()
        super().__post_init__()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(access_token_url={self.access_token_url!r}, grant_type={self.grant_type!r}, "
                f"client_id={_hidden(self.client_id)}, client_secret={_hidden(self.client_secret)}, "
                f"refresh_token={_hidden(self.refresh_token)}, access_token={_hidden(self.access_token)})")

    __str__ = __repr__

    def build_access_token_request(self) -> dict[str, Any]:
        if self.grant_type not in GRANTS:
            raise FunnelhouseError(f"{self.vendor}: grant_type {self.grant_type!r} is not one of {', '.join(GRANTS)}")
        data = {"grant_type": self.grant_type, "client_id": self.client_id, "client_secret": self.client_secret}
        if self.grant_type == "refresh_token":
            if not self.refresh_token:
                raise FunnelhouseError(f"{self.vendor}: the refresh-token grant needs a refresh_token: set {self.check}")
            data["refresh_token"] = self.refresh_token
        return {"headers": {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
                "data": {**data, **self.access_token_request_data}}

    def obtain_token(self) -> None:
        """Ask the token endpoint for a new access token; a refusal becomes one FunnelhouseError line."""
        response = self.session.post(self.access_token_url, **self.build_access_token_request())
        if response.status_code >= 400:
            said = vendor_message(response)
            raise FunnelhouseError(
                f"{self.vendor} token endpoint refused the {self.grant_type} grant ({response.status_code}"
                f"{': ' + said if said else ''}): check {self.check}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("error") and not answer.get("access_token"):  # Zoho: 200
            raise FunnelhouseError(f"{self.vendor} token endpoint refused the {self.grant_type} grant "
                                   f"({answer['error']}): check {self.check}")
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise FunnelhouseError(f"{self.vendor} token endpoint answered without an access_token: check "
                                   f"access_token_url ({self.access_token_url})")
        self.parse_native_representation(self.parse_access_token(answer))
        named = answer.get(self.instance_url_key)
        self.instance_url = str(named).rstrip("/") if named else None
        import pendulum

        self.token_expiry = pendulum.now().add(seconds=self.parse_expiration_in_seconds(answer))

    def login(self) -> str | None:
        """Obtain a token now; the instance URL it names (None when the endpoint names none)."""
        self.obtain_token()
        return self.instance_url

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request = super().__call__(request)
        request.headers["Authorization"] = f"{self.scheme} {self.access_token}"
        # first among the response hooks: the source's response actions see the answer after the one refresh
        request.hooks.setdefault("response", []).insert(0, self._refresh_once)
        return request

    def _refresh_once(self, response: Response, **kwargs: Any) -> Response:
        if response.status_code != 401:
            return response
        said = vendor_message(response)
        if getattr(response.request, REFRESHED, False):
            raise FunnelhouseError(
                f"{self.vendor} rejected a freshly obtained access token (401{': ' + said if said else ''}): check "
                f"{self.check}, and that the user may use the API")
        response.content  # noqa: B018 - read and release the connection before sending again
        response.close()
        self.obtain_token()
        retry = response.request.copy()
        retry.headers["Authorization"] = f"{self.scheme} {self.access_token}"
        setattr(retry, REFRESHED, True)
        again = response.connection.send(retry, **kwargs)
        again.history.append(response)
        again.request = retry
        return self._refresh_once(again, **kwargs) if again.status_code == 401 else again
