"""The Salesforce emulator over https: token grants, query paging, queryAll, describe, Bulk API 2.0, faults
(expired session, 5xx, drift, daily cap), record edits for incremental runs, and stats per route."""

from __future__ import annotations

import base64
import csv
import io
import json
import shutil
import time
from pathlib import Path

import pytest
import requests
import trustme

from emulators.salesforce.org import salesforce_id
from emulators.salesforce.server import SalesforceEmulator

FIXTURE = Path(__file__).parent / "fixtures" / "salesforce"
BASE = "/services/data/v62.0"
OPP = "006Hx00000Opp00{}AA".format
TOKEN = "emulator-token"


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> dict[str, str]:
    """A throwaway CA and a certificate for 127.0.0.1 (simple-salesforce speaks only https)."""
    folder = tmp_path_factory.mktemp("salesforce-tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    cert.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    cert.private_key_pem.write_to_path(str(paths["key"]))
    return {name: str(path) for name, path in paths.items()}


def start(tls: dict[str, str], data_dir: Path = FIXTURE, **options) -> SalesforceEmulator:
    return SalesforceEmulator(data_dir, ssl_certfile=tls["cert"], ssl_keyfile=tls["key"], **options).start()


@pytest.fixture
def sf(tls):  # ask for it before `http`, so that the session closes first
    with start(tls) as emulator:
        yield emulator


@pytest.fixture
def http(tls):
    """A requests session trusting the test CA; closed before the emulator stops (no 2 s graceful wait)."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE, when set, overrides `verify`
    session.verify = tls["ca"]
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    yield session
    session.close()


def write_big_org(folder: Path, count: int) -> Path:
    """The fixture's fields with `count` opportunities Opp-1..Opp-count."""
    shutil.copy(FIXTURE / "fields.json", folder / "fields.json")
    with (folder / "Opportunity.jsonl").open("w") as out:
        for n in range(1, count + 1):
            record = {
                "Id": salesforce_id("006", n),
                "IsDeleted": n % 10 == 0,
                "Name": f"Opp-{n}",
                "SystemModstamp": "2026-03-01T00:00:00.000+0000",
            }
            out.write(json.dumps(record) + "\n")
    return folder


def test_token_endpoint_grants_a_session(sf, http):
    http.headers.pop("Authorization")
    basic = base64.b64encode(b"emulator-client-id:emulator-client-secret").decode()
    granted = http.post(
        sf.base_url + "/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert granted.status_code == 200 and granted.json()["instance_url"] == sf.base_url
    bad = http.post(
        sf.base_url + "/services/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": "stale"}
    )
    assert (bad.status_code, bad.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "authentication failure"},
    )
    answer = http.get(
        sf.base_url + BASE + "/query",
        params={"q": "SELECT Id FROM Opportunity"},
        headers={"Authorization": f"Bearer {granted.json()['access_token']}"},
    )
    assert (answer.status_code, answer.json()["totalSize"]) == (200, 3)  # 4 opportunities, 1 deleted
    assert sf.stats()["routes"]["/services/oauth2/token"] == {"200": 1, "400": 1}


def test_query_pages_by_next_records_url_and_ignores_a_repeated_q(tls, http, tmp_path):
    with start(tls, write_big_org(tmp_path, 2450)) as sf:
        soql = {"q": "SELECT Id, Name FROM Opportunity"}
        first = http.get(sf.base_url + BASE + "/query", params=soql)
        body = first.json()
        # 2,450 rows, every tenth deleted: 2,205 served by query, 2,000 then 205
        assert (body["totalSize"], body["done"], len(body["records"])) == (2205, False, 2000)
        assert body["nextRecordsUrl"] == f"{BASE}/query/{salesforce_id('01g', 1)}-2000"
        assert first.headers["Sforce-Limit-Info"] == "api-usage=1/100000"
        second = http.get(sf.base_url + body["nextRecordsUrl"], params=soql)  # dlt re-sends q: ignored
        assert (second.json()["done"], len(second.json()["records"]), "nextRecordsUrl" in second.json()) == (
            True,
            205,
            False,
        )
        assert second.headers["Sforce-Limit-Info"] == "api-usage=2/100000"
        small = http.get(
            sf.base_url + BASE + "/queryAll", params=soql, headers={"Sforce-Query-Options": "batchSize=1000"}
        )
        assert (small.json()["totalSize"], len(small.json()["records"])) == (2450, 1000)
        assert sf.stats()["routes"] == {
            f"{BASE}/query": {"200": 1},
            BASE + "/query/{locator}": {"200": 1},
            f"{BASE}/queryAll": {"200": 1},
        }
        http.close()


def test_errors_are_salesforce_lists(sf, http):
    unknown = http.get(sf.base_url + BASE + "/query", params={"q": "SELECT Nope__c FROM Opportunity"})
    assert unknown.status_code == 400 and unknown.json()[0]["errorCode"] == "INVALID_FIELD"
    assert unknown.json()[0]["message"].endswith(
        "No such column 'Nope__c' on entity 'Opportunity'. If you are "
        "attempting to use a custom field, be sure to append the '__c' "
        "after the custom field name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )
    anonymous = http.get(sf.base_url + BASE + "/sobjects", headers={"Authorization": ""})
    assert (anonymous.status_code, anonymous.json()) == (
        401,
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )
    missing = http.get(sf.base_url + BASE + "/sobjects/Widget__c/describe")
    assert (missing.status_code, missing.json()[0]["errorCode"]) == (404, "NOT_FOUND")


def test_expired_session_then_refresh(sf, http):
    sf.set_faults(expired_token=True)
    expired = http.get(sf.base_url + BASE + "/sobjects")
    assert (expired.status_code, expired.json()[0]["errorCode"]) == (401, "INVALID_SESSION_ID")
    granted = http.post(
        sf.base_url + "/services/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "emulator-refresh-token"},
    )
    http.headers["Authorization"] = f"Bearer {granted.json()['access_token']}"
    assert http.get(sf.base_url + BASE + "/sobjects").status_code == 200


def test_server_errors_slow_and_daily_cap(tls, http):
    with start(tls, daily_cap=3) as sf:
        sf.set_faults(server_errors=2)
        answers = [http.get(sf.base_url + BASE + "/sobjects") for _ in range(2)]
        assert [(a.status_code, a.json()[0]["errorCode"]) for a in answers] == [
            (500, "UNKNOWN_EXCEPTION"),
            (503, "SERVER_UNAVAILABLE"),
        ]
        sf.set_faults(slow_seconds=0.3)
        began = time.monotonic()
        assert http.get(sf.base_url + BASE + "/sobjects").status_code == 200
        assert time.monotonic() - began >= 0.3
        sf.set_faults(slow_seconds=0)
        statuses = [http.get(sf.base_url + BASE + "/sobjects") for _ in range(3)]
        assert [s.status_code for s in statuses] == [
            200,
            200,
            403,
        ]  # the cap of 3: 1 + 2 served, then refused
        assert statuses[-1].json() == [
            {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
        ]
        assert statuses[-1].headers["Sforce-Limit-Info"] == "api-usage=3/3"
        http.close()


def test_rate_limit_burst_answers_the_daily_cap_refusal(sf, http):
    sf.set_faults(rate_limit_burst=1)
    refused, served = (http.get(sf.base_url + BASE + "/sobjects") for _ in range(2))
    assert (refused.status_code, refused.json()[0]["errorCode"], served.status_code) == (
        403,
        "REQUEST_LIMIT_EXCEEDED",
        200,
    )
    assert served.headers["Sforce-Limit-Info"] == "api-usage=1/100000"  # the refused request is not counted


def test_schema_drift_adds_a_custom_field(sf, http):
    sf.set_faults(added_field={"name": "Renewal_Risk__c", "value": "High"})
    fields = [
        f["name"] for f in http.get(sf.base_url + BASE + "/sobjects/Opportunity/describe").json()["fields"]
    ]
    assert fields[-3:] == ["Loss_Reason__c", "Partner_Channel__c", "Renewal_Risk__c"]
    rows = http.get(
        sf.base_url + BASE + "/query", params={"q": "SELECT Renewal_Risk__c FROM Opportunity"}
    ).json()
    assert [r["Renewal_Risk__c"] for r in rows["records"]] == ["High", "High", "High"]
    sf.clear_faults()
    assert len(http.get(sf.base_url + BASE + "/sobjects/Opportunity/describe").json()["fields"]) == 19
    wrong = http.post(
        sf.base_url + "/_emulator/faults", json={"added_field": {"name": "X__c", "object": "Widget"}}
    )
    assert (wrong.status_code, wrong.json()[0]["message"]) == (
        400,
        (
            'added_field must be null or {"name": "<Field>__c", "value": <value>, "object": <one of User, Account, '
            "Contact, Lead, Opportunity, OpportunityHistory, OpportunityStage>}"
        ),
    )


def test_edits_reach_an_incremental_query(sf, http):
    edit = http.post(
        sf.base_url + f"/_emulator/records/Opportunity/{OPP(1)}",
        json={"fields": {"StageName": "Closed Won", "IsWon": True, "IsClosed": True}},
    )
    assert edit.status_code == 200
    assert http.delete(sf.base_url + f"/_emulator/records/Opportunity/{OPP(2)}").json()["IsDeleted"] is True
    since = "SystemModstamp > 2026-03-12T10:00:00Z"  # the newest seed modstamp (the deleted Opp4's)
    changed = http.get(
        sf.base_url + BASE + "/queryAll",
        params={"q": f"SELECT Id, IsDeleted FROM Opportunity WHERE {since} ORDER BY SystemModstamp"},
    )
    assert [(r["Id"], r["IsDeleted"]) for r in changed.json()["records"]] == [(OPP(1), False), (OPP(2), True)]
    history = http.get(
        sf.base_url + BASE + "/query",
        params={"q": f"SELECT OpportunityId, StageName FROM OpportunityHistory WHERE {since}"},
    ).json()
    assert [(r["OpportunityId"], r["StageName"]) for r in history["records"]] == [(OPP(1), "Closed Won")]
    unknown = http.delete(sf.base_url + "/_emulator/records/Opportunity/006Hx00000Nope00AA")
    assert unknown.status_code == 404


def test_bulk_query_job_over_http(sf, http):
    created = http.post(
        sf.base_url + BASE + "/jobs/query",
        json={"operation": "query", "query": "SELECT Id, StageName FROM Opportunity"},
    )
    job = created.json()["id"]
    early = http.get(sf.base_url + BASE + f"/jobs/query/{job}/results")
    assert (early.status_code, early.json()[0]["errorCode"]) == (412, "JOB_NOT_COMPLETE")
    states = [http.get(sf.base_url + BASE + f"/jobs/query/{job}").json()["state"] for _ in range(3)]
    assert states == ["InProgress", "JobComplete", "JobComplete"]
    first = http.get(sf.base_url + BASE + f"/jobs/query/{job}/results", params={"maxRecords": 2})
    assert (first.headers["Sforce-Locator"], first.headers["Sforce-NumberOfRecords"]) == ("Mg", "2")
    assert first.headers["content-type"].startswith("text/csv")
    rest = http.get(
        sf.base_url + BASE + f"/jobs/query/{job}/results", params={"maxRecords": 2, "locator": "Mg"}
    )
    assert (rest.headers["Sforce-Locator"], rest.headers["Sforce-NumberOfRecords"]) == ("null", "1")
    rows = list(csv.DictReader(io.StringIO(first.text))) + list(csv.DictReader(io.StringIO(rest.text)))
    assert [(r["Id"], r["StageName"]) for r in rows] == [
        (OPP(1), "Negotiation/Review"),
        (OPP(2), "Closed Lost"),
        (OPP(3), "Closed Won"),
    ]


def test_versions_list_needs_no_session(sf, http):
    versions = http.get(sf.base_url + "/services/data/", headers={"Authorization": ""})
    assert versions.status_code == 200 and versions.json()[-1] == {
        "label": "Winter '25",
        "url": "/services/data/v62.0",
        "version": "62.0",
    }
    assert "Sforce-Limit-Info" not in versions.headers


def test_dlt_rest_client_follows_next_records_url(tls, http, tmp_path):
    """dlt's RESTClient with the json_link paginator (what a rest_api source uses) pages queryAll to the end; it
    re-sends the first request's q on follow-ups, which the locator route ignores."""
    from dlt.sources.helpers.rest_client import RESTClient
    from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

    with start(tls, write_big_org(tmp_path, 4500)) as sf:
        client = RESTClient(base_url=sf.base_url + BASE + "/", session=http)
        pages = client.paginate(
            "queryAll",
            params={"q": "SELECT Id, Name FROM Opportunity"},
            paginator=JSONLinkPaginator(next_url_path="nextRecordsUrl"),
            data_selector="records",
        )
        assert [len(page) for page in pages] == [2000, 2000, 500]  # 4,500 rows, deleted ones included
        assert sf.stats()["routes"] == {f"{BASE}/queryAll": {"200": 1}, BASE + "/query/{locator}": {"200": 2}}
        http.close()


def test_python_m_serves_https_in_the_foreground(tls, http):
    """`python -m emulators.salesforce DIR --certfile --keyfile` prints its base URL, serves, and stops on SIGTERM."""
    import os
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulators.salesforce",
            str(FIXTURE),
            "--certfile",
            tls["cert"],
            "--keyfile",
            tls["key"],
            "--daily-cap",
            "50",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("https://127.0.0.1:")
        answer = http.get(base_url + BASE + "/query", params={"q": "SELECT COUNT() FROM Opportunity"})
        assert (answer.json()["totalSize"], answer.headers["Sforce-Limit-Info"]) == (3, "api-usage=1/50")
        http.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
