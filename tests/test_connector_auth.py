"""The shared connector auth (ingestion.common.auth) against a tiny local server: an OAuth 2.0 token endpoint that
names the instance URL, an expired session refreshed once, a second 401 and a refused grant as one line each."""
from __future__ import annotations

from typing import Any

import pytest
from connector_server import Seen, TinyServer
from dlt.sources.rest_api import rest_api_resources

from ingestion.common.api_errors import explained_send, response_actions
from ingestion.common.auth import TokenEndpointAuth, header_token
from ingestion.common.errors import FunnelhouseError
from ingestion.common.http import rest_session
from ingestion.common.rest import next_url_paging, resource_defaults
from ingestion.common.vendor import Vendor

EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
CHECK = "client_id / client_secret under [sources.salesforce] in .dlt/secrets.toml"
SALESFORCE = Vendor(name="Salesforce", base_url_setting="login_url under [sources.salesforce]", token_setting=CHECK,
                    example_url="https://login.salesforce.com")
QUERY = "/services/data/v62.0/query"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


class Org:
    """A Salesforce-like org: tokens t1, t2, ... from the token endpoint; the API accepts only `valid` tokens."""

    def __init__(self, accept_new_tokens: bool = True) -> None:
        self.issued = 0
        self.valid: set[str] = set()
        self.accept_new_tokens = accept_new_tokens
        self.server = TinyServer({"POST /services/oauth2/token": self.token, f"GET {QUERY}": self.query,
                                  f"GET {QUERY}/01g-2": self.query})

    def token(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.form.get("client_secret") != ["s3cret"]:
            return 400, {}, {"error": "invalid_client", "error_description": "invalid client credentials"}
        self.issued += 1
        token = f"t{self.issued}"
        if self.accept_new_tokens or self.issued == 1:
            self.valid.add(token)
        return 200, {}, {"access_token": token, "instance_url": self.server.url, "token_type": "Bearer"}

    def query(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid:
            return 401, {}, EXPIRED
        if seen.path == QUERY:  # two records a page, the next page named relative to the instance
            return 200, {}, {"totalSize": 3, "done": False, "nextRecordsUrl": f"{QUERY}/01g-2",
                             "records": [{"Id": "006A"}, {"Id": "006B"}]}
        return 200, {}, {"totalSize": 3, "done": True, "records": [{"Id": "006C"}]}


def _auth(org: Org, **kwargs: Any) -> TokenEndpointAuth:
    return TokenEndpointAuth(access_token_url=f"{org.server.url}/services/oauth2/token", client_id="cid",
                             client_secret=kwargs.pop("client_secret", "s3cret"), vendor="Salesforce", check=CHECK,
                             **kwargs)


def _records(auth: TokenEndpointAuth, base_url: str) -> list[str]:
    """The Opportunity ids read through rest_api: json_link paging on nextRecordsUrl, the shared session."""
    session = rest_session()
    session.send = explained_send(SALESFORCE, session.send)
    config = {"client": {"base_url": base_url, "auth": auth, "session": session},
              "resource_defaults": resource_defaults("records", response_actions(SALESFORCE),
                                                     next_url_paging("nextRecordsUrl"), primary_key="Id"),
              "resources": [{"name": "opportunities",
                             "endpoint": {"path": "query", "params": {"q": "SELECT Id FROM Opportunity"}}}]}
    (resource,) = rest_api_resources(config)
    return [record["Id"] for record in resource]


def test_login_names_the_instance_and_pages_follow_next_records_url() -> None:
    org = Org()
    with org.server:
        auth = _auth(org)
        instance = auth.login()
        assert instance == org.server.url
        assert _records(auth, f"{instance}/services/data/v62.0/") == ["006A", "006B", "006C"]
        # 1 token + 2 pages; the query parameter went with the first page only (the next URL holds the rest)
        assert org.server.paths() == ["POST /services/oauth2/token", f"GET {QUERY}", f"GET {QUERY}/01g-2"]
        assert [seen.query for seen in org.server.seen[1:]] == [{"q": ["SELECT Id FROM Opportunity"]}, {}]
        assert org.server.seen[0].form == {"grant_type": ["client_credentials"], "client_id": ["cid"],
                                           "client_secret": ["s3cret"]}


def test_an_expired_session_is_refreshed_once_and_the_request_sent_again() -> None:
    org = Org()
    with org.server:
        auth = _auth(org)
        auth.login()
        org.valid.clear()  # the session expires: t1 now answers 401 INVALID_SESSION_ID
        assert _records(auth, f"{org.server.url}/services/data/v62.0/") == ["006A", "006B", "006C"]
        # page 1 with t1: 401; token t2; page 1 again with t2; page 2 with t2
        assert org.server.paths() == ["POST /services/oauth2/token", f"GET {QUERY}", "POST /services/oauth2/token",
                                      f"GET {QUERY}", f"GET {QUERY}/01g-2"]
        assert [s.headers.get("Authorization") for s in org.server.seen if s.method == "GET"] == [
            "Bearer t1", "Bearer t2", "Bearer t2"]


def test_a_second_401_after_the_refresh_is_one_clear_line() -> None:
    org = Org(accept_new_tokens=False)
    with org.server:
        auth = _auth(org)
        auth.login()
        org.valid.clear()
        with pytest.raises(Exception) as raised:  # dlt wraps it in ResourceExtractionError
            _records(auth, f"{org.server.url}/services/data/v62.0/")
        message = next(str(e) for e in _chain(raised.value) if isinstance(e, FunnelhouseError))
        assert message == (
            "Salesforce rejected a freshly obtained access token (401: INVALID_SESSION_ID: Session expired or "
            f"invalid): check {CHECK}, and that the user may use the API")
        # refreshed once only: 2 tokens, 2 tries of page 1
        assert org.server.paths() == ["POST /services/oauth2/token", f"GET {QUERY}", "POST /services/oauth2/token",
                                      f"GET {QUERY}"]


def test_a_refused_grant_is_one_line_and_secrets_are_never_shown() -> None:
    org = Org()
    with org.server:
        auth = _auth(org, client_secret="wrong", grant_type="refresh_token", refresh_token="r3fresh")
        with pytest.raises(FunnelhouseError) as raised:
            auth.login()
    assert str(raised.value) == (
        f"Salesforce token endpoint refused the refresh_token grant (400: invalid client credentials): check {CHECK}")
    assert org.server.seen[0].form == {"grant_type": ["refresh_token"], "client_id": ["cid"],
                                       "client_secret": ["wrong"], "refresh_token": ["r3fresh"]}
    shown = repr(auth) + str(auth)
    assert "wrong" not in shown and "r3fresh" not in shown and "client_secret='***'" in shown


def test_a_header_token_goes_in_its_own_header() -> None:
    with TinyServer({"GET /api/v2/deals": lambda seen: (200, {}, {"data": [], "additional_data": {}})}) as server:
        session = rest_session()
        response = session.get(f"{server.url}/api/v2/deals", auth=header_token("x-api-token", "pd-token"))
    assert response.status_code == 200
    assert server.seen[0].headers.get("x-api-token") == "pd-token"
    assert "Authorization" not in server.seen[0].headers
    assert "pd-token" not in repr(header_token("x-api-token", "pd-token"))


def _chain(error: BaseException) -> list[BaseException]:
    found = []
    while error is not None and error not in found:
        found.append(error)
        error = error.__cause__ or error.__context__
    return found
