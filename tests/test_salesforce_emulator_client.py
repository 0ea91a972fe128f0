"""simple-salesforce, Salesforce's widely used Python client, reads the emulator over https: query, query_all (the
deleted rows too), query_all_iter across pages, describe with the custom fields, and Bulk API 2.0 queries."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceMalformedRequest
from test_salesforce_emulator import BASE, OPP, start, tls, write_big_org  # noqa: F401 (tls: a fixture)


def client(emulator, ca: str) -> Salesforce:
    """A session granted by the token endpoint (client credentials), handed to simple-salesforce with the instance
    URL the grant names: its own login builds `https://<domain>.salesforce.com`, which cannot reach 127.0.0.1."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE, when set, overrides `verify`
    session.verify = ca
    grant = session.post(
        emulator.base_url + "/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("emulator-client-id", "emulator-client-secret"),
    ).json()
    return Salesforce(
        instance_url=grant["instance_url"], session_id=grant["access_token"], session=session, version="62.0"
    )


@pytest.fixture
def small(tls):  # noqa: F811
    with start(tls) as emulator:
        sf = client(emulator, tls["ca"])
        yield emulator, sf
        sf.session.close()


def test_query_query_all_and_describe(small):
    emulator, sf = small
    result = sf.query("SELECT Id, StageName, Amount FROM Opportunity ORDER BY Amount DESC")
    # Opp1 50000.0, Opp2 18000.0, Opp3 12000.5; Opp4 (50000.0) is deleted
    assert (result["totalSize"], result["done"]) == (3, True)
    assert [(r["Id"], r["Amount"]) for r in result["records"]] == [
        (OPP(1), 50000.0),
        (OPP(2), 18000.0),
        (OPP(3), 12000.5),
    ]
    everything = sf.query_all("SELECT Id, IsDeleted FROM Opportunity", include_deleted=True)
    assert [(r["Id"], r["IsDeleted"]) for r in everything["records"]] == [
        (OPP(1), False),
        (OPP(2), False),
        (OPP(3), False),
        (OPP(4), True),
    ]
    emulator.set_faults(added_field={"name": "Renewal_Risk__c", "value": "High"})
    fields = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
    assert (len(fields), fields["Loss_Reason__c"]["custom"], fields["Renewal_Risk__c"]["custom"]) == (
        20,
        True,
        True,
    )
    assert [o["name"] for o in sf.describe()["sobjects"]] == [
        "User",
        "Account",
        "Opportunity",
        "OpportunityHistory",
        "OpportunityStage",
    ]
    assert sf.api_usage["api-usage"].used == 4 and sf.api_usage["api-usage"].total == 100_000
    limits = sf.limits()  # the 5th request, counted before the answer
    assert limits["DailyApiRequests"] == {"Max": 100_000, "Remaining": 99_995}
    assert limits["DailyBulkV2QueryJobs"] == {"Max": 10_000, "Remaining": 10_000}
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Opportunity WHERE")
    assert caught.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    emulator.set_faults(expired_token=True)
    with pytest.raises(SalesforceExpiredSession):  # a direct session cannot re-login: the client raises
        sf.query("SELECT Id FROM Opportunity")


def test_query_all_iter_across_pages(tls, tmp_path):  # noqa: F811
    with start(tls, write_big_org(tmp_path, 2450)) as emulator:
        sf = client(emulator, tls["ca"])
        soql = "SELECT Id, Name FROM Opportunity"
        paged = list(sf.query_all_iter(soql, headers={"Sforce-Query-Options": "batchSize=1000"}))
        # 2,450 rows, every tenth deleted: 2,205 = 1,000 + 1,000 + 205 in three requests
        assert (len(paged), paged[0]["Name"], paged[-1]["Name"]) == (2205, "Opp-1", "Opp-2449")
        deleted = list(sf.query_all_iter(soql + " WHERE IsDeleted = true", include_deleted=True))
        assert [r["Name"] for r in deleted[:2]] == ["Opp-10", "Opp-20"] and len(deleted) == 245
        assert emulator.stats()["routes"] == {
            f"{BASE}/query": {"200": 1},
            BASE + "/query/{locator}": {"200": 2},
            f"{BASE}/queryAll": {"200": 1},
            "/services/oauth2/token": {"200": 1},
        }
        sf.session.close()


def test_bulk2_query(small):
    emulator, sf = small
    sets = list(
        sf.bulk2.Opportunity.query("SELECT Id, StageName, IsWon FROM Opportunity", max_records=2, wait=0.05)
    )
    rows = [row for text in sets for row in csv.DictReader(io.StringIO(text))]
    assert (len(sets), [(r["Id"], r["StageName"], r["IsWon"]) for r in rows]) == (
        2,
        [
            (OPP(1), "Negotiation/Review", "false"),
            (OPP(2), "Closed Lost", "false"),
            (OPP(3), "Closed Won", "true"),
        ],
    )
    every = list(sf.bulk2.Opportunity.query_all("SELECT Id FROM Opportunity", wait=0.05))
    assert [r["Id"] for r in csv.DictReader(io.StringIO(every[0]))] == [OPP(1), OPP(2), OPP(3), OPP(4)]
    routes = emulator.stats()["routes"]
    # per job: 1 create, 2 polls (InProgress, JobComplete), results sets (2 then 1)
    assert (
        routes[f"{BASE}/jobs/query"],
        routes[BASE + "/jobs/query/{job_id}"],
        routes[BASE + "/jobs/query/{job_id}/results"],
    ) == ({"200": 2}, {"200": 4}, {"200": 3})
