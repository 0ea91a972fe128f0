"""Tests of the HubSpot CRM v3 emulator (emulators/hubspot) on the fixtures in tests/fixtures/hubspot/."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from emulators.hubspot import HubSpotEmulator

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
TOKEN = "emulator-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)

ACTIVE_DEALS = [5, 7, 11, 20, 31, 52, 64, 77, 88, 150]
ARCHIVED_DEALS = [40, 99]
COMPANIES = [3, 8, 12, 25, 100, 101, 1003]
CONTACTS = [1, 2, 3, 4, 5, 6, 7, 8, 10]
MAX_FIXTURE_TIMESTAMP = (
    "2024-03-15T11:11:00.000Z"  # deal 150's hs_lastmodifieddate, the latest in the fixtures
)
RATE_HEADERS = [
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
    "X-HubSpot-RateLimit-Secondly",
    "X-HubSpot-RateLimit-Secondly-Remaining",
]


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def shared():
    """A read-only emulator shared by the tests that change nothing."""
    with HubSpotEmulator(FIXTURES).start() as emulator:
        with httpx.Client(base_url=emulator.base_url, headers=AUTH, timeout=10) as client:
            yield emulator, client


@pytest.fixture()
def fresh():
    """An emulator of its own, for tests that set faults or change objects."""
    with HubSpotEmulator(FIXTURES).start() as emulator:
        with httpx.Client(base_url=emulator.base_url, headers=AUTH, timeout=10) as client:
            yield emulator, client


def _ids(body: dict) -> list[int]:
    return [int(r["id"]) for r in body["results"]]


def _collect(client: httpx.Client, path: str, **params) -> tuple[list[int], list[dict]]:
    ids, pages, after = [], [], None
    while True:
        query = dict(params)
        if after is not None:
            query["after"] = after
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        ids.extend(_ids(body))
        if "paging" not in body:
            return ids, pages
        after = body["paging"]["next"]["after"]


def _search(client: httpx.Client, object_type: str, body: dict) -> httpx.Response:
    return client.post(f"/crm/v3/objects/{object_type}/search", json=body)


def _assert_error(response: httpx.Response, status: int, category: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == category
    assert UUID.match(body["correlationId"])
    assert body["correlationId"] == response.headers["X-HubSpot-Correlation-Id"]
    return body


# ------------------------------------------------------------------ listing and paging
def test_list_paging_returns_every_deal_exactly_once(shared):
    emulator, client = shared
    ids, pages = _collect(client, "/crm/v3/objects/deals", limit=3)
    assert ids == ACTIVE_DEALS
    assert [len(p["results"]) for p in pages] == [3, 3, 3, 1]
    assert [p["paging"]["next"]["after"] for p in pages[:-1]] == ["20", "64", "150"]
    assert "paging" not in pages[-1]
    link = pages[0]["paging"]["next"]["link"]
    assert link == f"{emulator.base_url}/crm/v3/objects/deals/?limit=3&after=20"
    assert _ids(client.get(link).json()) == [20, 31, 52]


def test_list_paging_companies_and_contacts_in_numeric_id_order(shared):
    _, client = shared
    assert _collect(client, "/crm/v3/objects/companies", limit=2)[0] == COMPANIES
    assert _collect(client, "/crm/v3/objects/contacts", limit=4)[0] == CONTACTS
    assert _collect(client, "/crm/v3/objects/0-3", limit=100)[0] == ACTIVE_DEALS  # objectTypeId alias


def test_default_limit_is_ten_and_exactly_ten_left_means_no_paging(shared):
    _, client = shared
    body = client.get("/crm/v3/objects/deals").json()
    assert _ids(body) == ACTIVE_DEALS
    assert "paging" not in body
    body = client.get("/crm/v3/objects/contacts").json()
    assert _ids(body) == CONTACTS
    assert "paging" not in body


def test_limit_over_100_is_a_400_and_100_is_fine(shared):
    _, client = shared
    assert client.get("/crm/v3/objects/deals", params={"limit": 100}).status_code == 200
    body = _assert_error(client.get("/crm/v3/objects/deals", params={"limit": 101}), 400, "VALIDATION_ERROR")
    assert body["message"] == "limit must be between 1 and 100; got 101."
    _assert_error(client.get("/crm/v3/objects/deals", params={"limit": 0}), 400, "VALIDATION_ERROR")
    _assert_error(client.get("/crm/v3/objects/deals", params={"limit": "ten"}), 400, "VALIDATION_ERROR")


def test_limit_with_properties_with_history_is_at_most_50(shared):
    _, client = shared
    ok = client.get("/crm/v3/objects/deals", params={"limit": 50, "propertiesWithHistory": "dealstage"})
    assert ok.status_code == 200 and _ids(ok.json()) == ACTIVE_DEALS
    body = _assert_error(
        client.get("/crm/v3/objects/deals", params={"limit": 51, "propertiesWithHistory": "dealstage"}),
        400,
        "VALIDATION_ERROR",
    )
    assert (
        body["message"] == "limit must be between 1 and 50 when propertiesWithHistory is requested; got 51."
    )


# ------------------------------------------------------------------ object shape
def test_default_properties_per_object_type(shared):
    _, client = shared
    deal = client.get("/crm/v3/objects/deals/5").json()
    assert deal == {
        "id": "5",
        "properties": {
            "amount": "12000",
            "closedate": "2024-02-20T16:30:00.000Z",
            "createdate": "2024-01-02T09:00:00.000Z",
            "dealname": "Acme renewal",
            "dealstage": "closedwon",
            "hs_lastmodifieddate": "2024-02-20T16:30:00.000Z",
            "hs_object_id": "5",
            "pipeline": "default",
        },
        "createdAt": "2024-01-02T09:00:00.000Z",
        "updatedAt": "2024-02-20T16:30:00.000Z",
        "archived": False,
    }
    contact = client.get("/crm/v3/objects/contacts/10").json()
    assert contact["properties"] == {
        "createdate": "2024-01-25T16:10:00.000Z",
        "email": "ivy@wayne.example",
        "firstname": "Ivy",
        "hs_object_id": "10",
        "lastmodifieddate": "2024-02-01T13:01:00.000Z",
        "lastname": "Ito",
    }
    company = client.get("/crm/v3/objects/companies/1003").json()
    assert company["properties"] == {
        "createdate": "2024-01-25T16:00:00.000Z",
        "domain": "wayne.example",
        "hs_lastmodifieddate": "2024-02-01T13:05:00.000Z",
        "hs_object_id": "1003",
        "name": "Wayne Enterprises",
    }


def test_properties_filter_returns_requested_plus_always_returned(shared):
    _, client = shared
    body = client.get(
        "/crm/v3/objects/deals",
        params={"properties": "dealname,hubspot_owner_id,closedate,nope", "limit": 100},
    ).json()
    by_id = {int(r["id"]): r for r in body["results"]}
    assert by_id[150]["properties"] == {
        "closedate": None,
        "createdate": "2024-03-01T10:00:00.000Z",
        "dealname": "Umbrella renewal",
        "hs_lastmodifieddate": MAX_FIXTURE_TIMESTAMP,
        "hs_object_id": "150",
        "hubspot_owner_id": None,
    }
    assert set(by_id[7]["properties"]) == {
        "closedate",
        "createdate",
        "dealname",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hubspot_owner_id",
    }
    assert all("propertiesWithHistory" not in r and "associations" not in r for r in body["results"])
    # the repeated-parameter form the official SDKs send works too
    repeated = client.get(
        "/crm/v3/objects/contacts/4", params=[("properties", "email"), ("properties", "lifecyclestage")]
    ).json()
    assert repeated["properties"] == {
        "createdate": "2023-12-04T11:00:00.000Z",
        "email": "dan@globex.example",
        "hs_object_id": "4",
        "lastmodifieddate": "2024-01-20T08:05:00.000Z",
        "lifecyclestage": "salesqualifiedlead",
    }


def test_properties_with_history_newest_first(shared):
    _, client = shared
    deal = client.get(
        "/crm/v3/objects/deals/77",
        params={"propertiesWithHistory": "dealstage,amount", "properties": "dealstage"},
    ).json()
    history = deal["propertiesWithHistory"]
    assert list(history) == ["amount", "dealstage"]
    assert [(e["value"], e["timestamp"]) for e in history["dealstage"]] == [
        ("contractsent", "2024-03-05T10:00:00.000Z"),
        ("decisionmakerboughtin", "2024-02-20T09:00:00.000Z"),
        ("appointmentscheduled", "2024-02-08T08:30:00.000Z"),
    ]
    assert history["amount"] == [
        {
            "value": "52000",
            "timestamp": "2024-03-05T10:00:00.000Z",
            "sourceType": "CRM_UI",
            "sourceId": "userId:9002",
            "updatedByUserId": 9002,
        },
        {
            "value": "48000",
            "timestamp": "2024-02-08T08:30:00.000Z",
            "sourceType": "CRM_UI",
            "sourceId": "userId:9002",
            "updatedByUserId": 9002,
        },
    ]
    contact = client.get(
        "/crm/v3/objects/contacts/4", params={"propertiesWithHistory": "lifecyclestage"}
    ).json()
    assert [e["value"] for e in contact["propertiesWithHistory"]["lifecyclestage"]] == [
        "salesqualifiedlead",
        "marketingqualifiedlead",
        "subscriber",
    ]


def test_associations_shape_and_reverse_direction(shared):
    _, client = shared
    deal = client.get("/crm/v3/objects/deals/5", params={"associations": "companies,contacts"}).json()
    assert deal["associations"] == {
        "companies": {"results": [{"id": "3", "type": "deal_to_company"}]},
        "contacts": {
            "results": [{"id": "1", "type": "deal_to_contact"}, {"id": "2", "type": "deal_to_contact"}]
        },
    }
    # reverse links are derived from the deals' own associations; archived deals are left out
    company = client.get("/crm/v3/objects/companies/100", params={"associations": "deals,contacts"}).json()
    assert company["associations"] == {
        "contacts": {"results": [{"id": "8", "type": "company_to_contact"}]},
        "deals": {"results": [{"id": "31", "type": "company_to_deal"}]},
    }
    lonely = client.get("/crm/v3/objects/companies/101", params={"associations": "deals,contacts"}).json()
    assert "associations" not in lonely  # only archived deal 40 points at it
    listed = client.get("/crm/v3/objects/contacts", params={"associations": "deals", "limit": 3}).json()
    assert {r["id"]: r.get("associations") for r in listed["results"]} == {
        "1": {
            "deals": {
                "results": [{"id": "5", "type": "contact_to_deal"}, {"id": "64", "type": "contact_to_deal"}]
            }
        },
        "2": {"deals": {"results": [{"id": "5", "type": "contact_to_deal"}]}},
        "3": {"deals": {"results": [{"id": "77", "type": "contact_to_deal"}]}},
    }


def test_archived_true_returns_only_archived(shared):
    _, client = shared
    body = client.get("/crm/v3/objects/deals", params={"archived": "true"}).json()
    assert _ids(body) == ARCHIVED_DEALS
    assert [(r["archived"], r["archivedAt"]) for r in body["results"]] == [
        (True, "2024-02-15T09:30:00.000Z"),
        (True, "2024-03-02T17:00:00.000Z"),
    ]
    assert (
        client.get("/crm/v3/objects/deals", params={"archived": "false", "limit": 100}).json()["results"][0][
            "archived"
        ]
        is False
    )
    assert _ids(client.get("/crm/v3/objects/contacts", params={"archived": "true"}).json()) == []
    body = _assert_error(client.get("/crm/v3/objects/deals/40"), 404, "OBJECT_NOT_FOUND")
    assert body["message"] == "Object not found.  objectId are usually numeric."
    assert (
        client.get("/crm/v3/objects/deals/40", params={"archived": "true"}).json()["archivedAt"]
        == "2024-02-15T09:30:00.000Z"
    )
    _assert_error(client.get("/crm/v3/objects/deals/5", params={"archived": "true"}), 404, "OBJECT_NOT_FOUND")


def test_unknown_object_type_is_a_400(shared):
    _, client = shared
    body = _assert_error(client.get("/crm/v3/objects/widgets"), 400, "VALIDATION_ERROR")
    assert body["message"] == "Unable to infer object type from: widgets"


def test_batch_read(shared):
    _, client = shared
    response = client.post(
        "/crm/v3/objects/deals/batch/read",
        json={
            "inputs": [{"id": "77"}, {"id": "5"}],
            "properties": ["dealname"],
            "propertiesWithHistory": ["dealstage"],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "COMPLETE"
    assert [
        (r["id"], r["properties"]["dealname"], len(r["propertiesWithHistory"]["dealstage"]))
        for r in body["results"]
    ] == [("77", "Globex enterprise", 3), ("5", "Acme renewal", 3)]
    partial = client.post("/crm/v3/objects/deals/batch/read", json={"inputs": [{"id": "5"}, {"id": "40"}]})
    assert partial.status_code == 207
    assert partial.json()["errors"][0]["context"] == {"ids": ["40"]}


# ------------------------------------------------------------------ search
def _modified_filter(operator: str, value, prop: str = "hs_lastmodifieddate", **extra) -> dict:
    return {
        "filterGroups": [{"filters": [{"propertyName": prop, "operator": operator, "value": value, **extra}]}]
    }


def test_search_gt_on_hs_lastmodifieddate_returns_exact_ids(shared):
    _, client = shared
    # 1709294400000 == 2024-03-01T12:00:00Z, deal 11's own hs_lastmodifieddate: GT leaves it out
    body = {
        **_modified_filter("GT", "1709294400000"),
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "limit": 200,
    }
    result = _search(client, "deals", body).json()
    assert result["total"] == 5
    assert _ids(result) == [20, 77, 64, 88, 150]  # ties (20 and 77 at 2024-03-05T10:00) by id
    assert "paging" not in result
    iso = _search(client, "deals", {**body, **_modified_filter("GT", "2024-03-01T12:00:00Z")}).json()
    assert _ids(iso) == [20, 77, 64, 88, 150]
    gte = _search(client, "deals", {**body, **_modified_filter("GTE", 1709294400000)}).json()
    assert gte["total"] == 6 and _ids(gte) == [11, 20, 77, 64, 88, 150]
    desc = _search(
        client,
        "deals",
        {
            **_modified_filter("GT", "1709294400000"),
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}],
        },
    ).json()
    assert _ids(desc) == [150, 88, 64, 77, 20]
    between = _search(
        client, "deals", _modified_filter("BETWEEN", "2024-02-01T00:00:00Z", highValue="2024-02-29T23:59:59Z")
    ).json()
    assert _ids(between) == [5, 31, 52]  # archived deal 40 (2024-02-15) is never searched


def test_search_paging_uses_after_offsets(shared):
    _, client = shared
    body = {
        **_modified_filter("GT", "1709294400000"),
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "limit": 2,
    }
    pages, after = [], None
    while True:
        result = _search(client, "deals", {**body, **({"after": after} if after else {})}).json()
        pages.append((_ids(result), result.get("paging")))
        assert result["total"] == 5
        if "paging" not in result:
            break
        after = result["paging"]["next"]["after"]
    assert pages == [
        ([20, 77], {"next": {"after": "2"}}),
        ([64, 88], {"next": {"after": "4"}}),
        ([150], None),
    ]


def test_search_default_and_requested_properties(shared):
    _, client = shared
    result = _search(
        client, "contacts", _modified_filter("GT", "2024-03-01T12:00:00.000Z", prop="lastmodifieddate")
    ).json()
    assert _ids(result) == [3, 5, 6, 7]
    assert set(result["results"][0]["properties"]) == {
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    }
    narrowed = _search(client, "deals", {"properties": ["dealname"], "limit": 1}).json()
    assert narrowed["total"] == 10
    assert narrowed["results"][0]["properties"] == {
        "createdate": "2024-01-02T09:00:00.000Z",
        "dealname": "Acme renewal",
        "hs_lastmodifieddate": "2024-02-20T16:30:00.000Z",
        "hs_object_id": "5",
    }
    assert "propertiesWithHistory" not in narrowed["results"][0]


def test_search_other_operators(shared):
    _, client = shared
    stage = {
        "filterGroups": [
            {"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"}]},
            {
                "filters": [
                    {"propertyName": "pipeline", "operator": "IN", "values": ["partner"]},
                    {"propertyName": "amount", "operator": "GTE", "value": "7000"},
                ]
            },
        ]
    }
    assert _ids(_search(client, "deals", stage).json()) == [5, 20, 88]
    owners = {
        "filterGroups": [{"filters": [{"propertyName": "hubspot_owner_id", "operator": "NOT_HAS_PROPERTY"}]}]
    }
    assert _ids(_search(client, "deals", owners).json()) == [150]
    by_id = {
        "filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": "64"}]}],
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
    }
    assert _ids(_search(client, "deals", by_id).json()) == [77, 88, 150]
    by_amount = {"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}], "limit": 3}
    assert _ids(_search(client, "deals", by_amount).json()) == [77, 11, 31]  # numeric, not string, order
    assert _ids(_search(client, "deals", {"query": "globex"}).json()) == [7, 77]


def test_search_errors(shared):
    _, client = shared
    assert _search(client, "deals", {"limit": 200}).status_code == 200
    body = _assert_error(_search(client, "deals", {"limit": 201}), 400, "VALIDATION_ERROR")
    assert body["message"] == "limit must be between 0 and 200; got 201."
    # contacts have `lastmodifieddate`, not `hs_lastmodifieddate`
    _assert_error(_search(client, "contacts", _modified_filter("GT", "0")), 400, "VALIDATION_ERROR")
    _assert_error(_search(client, "deals", _modified_filter("GT", "yesterday")), 400, "VALIDATION_ERROR")
    response = client.post(
        "/crm/v3/objects/deals/search", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    _assert_error(response, 400, "VALIDATION_ERROR")
    too_many = {
        "filterGroups": [{"filters": [{"propertyName": "dealstage", "operator": "HAS_PROPERTY"}]}] * 6
    }
    _assert_error(_search(client, "deals", too_many), 400, "VALIDATION_ERROR")


def test_search_sends_no_rate_limit_headers_but_other_endpoints_do(shared):
    _, client = shared
    searched = _search(client, "deals", {})
    assert not any(h in searched.headers for h in RATE_HEADERS)
    listed = client.get("/crm/v3/objects/deals")
    assert all(h in listed.headers for h in RATE_HEADERS)
    assert listed.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"


def test_search_refuses_paging_past_the_result_limit_with_small_limit():
    with HubSpotEmulator(FIXTURES, search_result_limit=4).start() as emulator:
        with httpx.Client(base_url=emulator.base_url, headers=AUTH) as client:
            first = _search(client, "deals", {"limit": 3}).json()
            assert (first["total"], _ids(first), first["paging"]) == (
                10,
                [5, 7, 11],
                {"next": {"after": "3"}},
            )
            second = _search(client, "deals", {"limit": 3, "after": "3"}).json()
            assert (_ids(second), second["paging"]) == ([20], {"next": {"after": "4"}})
            body = _assert_error(
                _search(client, "deals", {"limit": 3, "after": "4"}), 400, "VALIDATION_ERROR"
            )
            assert body["message"] == (
                "There was a problem with the request. The search API returns at most 4 results for any "
                "query; paging beyond them (after=4) is not allowed. Narrow the query with filters instead."
            )
            assert body["context"] == {"after": ["4"]}


def test_search_refuses_paging_past_10000_results(tmp_path):
    with (tmp_path / "deals.jsonl").open("w") as handle:
        for i in range(1, 10_051):
            stamp = f"2024-01-01T00:00:{i % 60:02d}.000Z"
            handle.write(
                json.dumps(
                    {
                        "id": str(i),
                        "properties": {
                            "dealname": f"d{i}",
                            "hs_lastmodifieddate": stamp,
                            "createdate": stamp,
                        },
                        "createdAt": stamp,
                        "updatedAt": stamp,
                        "archived": False,
                    }
                )
                + "\n"
            )
    with HubSpotEmulator(tmp_path).start() as emulator:
        with httpx.Client(base_url=emulator.base_url, headers=AUTH) as client:
            page = _search(client, "deals", {"limit": 200, "after": "9900"}).json()
            assert page["total"] == 10_050
            assert (len(page["results"]), page["results"][0]["id"], page["results"][-1]["id"]) == (
                100,
                "9901",
                "10000",
            )
            assert page["paging"] == {"next": {"after": "10000"}}
            body = _assert_error(
                _search(client, "deals", {"limit": 200, "after": "10000"}), 400, "VALIDATION_ERROR"
            )
            assert "at most 10,000 results" in body["message"]
            # the list endpoint has no such cap
            listed = client.get("/crm/v3/objects/deals", params={"after": "10001", "limit": 100}).json()
            assert _ids(listed) == list(range(10_001, 10_051))


# ------------------------------------------------------------------ auth
def test_401_body_without_or_with_a_wrong_token(shared):
    emulator, _ = shared
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer"},
    ):
        response = httpx.get(f"{emulator.base_url}/crm/v3/objects/deals", headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body == {
            "status": "error",
            "message": AUTH_MESSAGE,
            "correlationId": body["correlationId"],
            "category": "INVALID_AUTHENTICATION",
        }
        assert UUID.match(body["correlationId"])
        assert response.headers["X-HubSpot-Correlation-Id"] == body["correlationId"]
    assert httpx.post(f"{emulator.base_url}/crm/v3/objects/deals/search", json={}).status_code == 401
    assert httpx.get(f"{emulator.base_url}/crm/v3/owners").status_code == 401
    assert TOKEN not in repr(emulator)


# ------------------------------------------------------------------ faults
def test_rate_limit_burst_then_success(fresh):
    emulator, client = fresh
    emulator.set_faults(rate_limit_burst=2)
    for _ in range(2):
        response = client.get("/crm/v3/objects/deals")
        assert response.status_code == 429
        body = response.json()
        assert body == {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": body["correlationId"],
            "policyName": "TEN_SECONDLY_ROLLING",
            "requestId": body["requestId"],
        }
        assert UUID.match(body["correlationId"]) and re.fullmatch(r"[0-9a-f]{32}", body["requestId"])
        assert response.headers["Retry-After"] == "1"
        assert all(h in response.headers for h in RATE_HEADERS)
        assert response.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        assert response.headers["X-HubSpot-RateLimit-Secondly-Remaining"] == "0"
    assert _ids(client.get("/crm/v3/objects/deals").json()) == ACTIVE_DEALS
    assert emulator.stats()["paths"]["/crm/v3/objects/deals"] == {"429": 2, "200": 1}


def test_faults_and_stats_over_http(fresh):
    emulator, client = fresh
    set_response = httpx.post(
        f"{emulator.base_url}/_emulator/faults", json={"rate_limit_burst": 1, "rate_limit_policy": "SECONDLY"}
    )
    assert set_response.status_code == 200 and set_response.json()["rate_limit_burst"] == 1
    limited = _search(client, "deals", {})
    assert limited.status_code == 429
    assert limited.json()["message"] == "You have reached your secondly limit."
    assert _search(client, "deals", {}).status_code == 200
    stats = httpx.get(f"{emulator.base_url}/_emulator/stats").json()
    assert stats == {
        "total": 2,
        "statuses": {"429": 1, "200": 1},
        "paths": {"/crm/v3/objects/deals/search": {"429": 1, "200": 1}},
    }
    assert httpx.post(f"{emulator.base_url}/_emulator/faults", json={"bogus": 1}).status_code == 400
    assert httpx.delete(f"{emulator.base_url}/_emulator/stats").json()["total"] == 0


def test_configured_rate_limit_per_second():
    with HubSpotEmulator(FIXTURES, rate_limit_per_second=3).start() as emulator:
        with httpx.Client(base_url=emulator.base_url, headers=AUTH) as client:
            statuses = [client.get("/crm/v3/objects/deals").status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            limited = client.get("/crm/v3/objects/deals")
            assert limited.json()["policyName"] == "SECONDLY"
            assert limited.headers["X-HubSpot-RateLimit-Secondly"] == "3"
            time.sleep(1.1)
            assert client.get("/crm/v3/objects/deals").status_code == 200


def test_server_errors_then_success(fresh):
    emulator, client = fresh
    emulator.set_faults(server_errors=2)
    first = client.get("/crm/v3/objects/deals")
    assert first.status_code == 502
    assert first.headers["content-type"].startswith("text/html")
    assert "<title>502 Bad Gateway</title>" in first.text
    second = client.get("/crm/v3/objects/deals")
    assert second.status_code == 503
    assert second.json()["message"] == "Service Unavailable"
    assert client.get("/crm/v3/objects/deals").status_code == 200
    emulator.set_faults(server_errors=1, server_error_status=504)
    assert client.get("/crm/v3/owners").status_code == 504
    assert emulator.stats()["statuses"] == {"502": 1, "503": 1, "200": 1, "504": 1}


def test_slow_responses(fresh):
    emulator, client = fresh
    emulator.set_faults(slow_seconds=0.3)
    started = time.monotonic()
    assert client.get("/crm/v3/objects/deals").status_code == 200
    assert time.monotonic() - started >= 0.3
    emulator.set_faults(slow_seconds=0)


def test_extra_property_simulates_a_new_field(fresh):
    emulator, client = fresh
    emulator.set_faults(extra_property={"name": "hs_new_field", "value": 42})
    listed = client.get("/crm/v3/objects/deals", params={"properties": "dealname"}).json()["results"]
    assert {r["properties"]["hs_new_field"] for r in listed} == {"42"}
    assert "hs_new_field" in {p["name"] for p in client.get("/crm/v3/properties/deals").json()["results"]}
    searched = _search(client, "contacts", {"limit": 1}).json()["results"][0]
    assert searched["properties"]["hs_new_field"] == "42"
    emulator.set_faults(extra_property=None)
    assert "hs_new_field" not in client.get("/crm/v3/objects/deals/5").json()["properties"]


# ------------------------------------------------------------------ admin changes
def test_update_object_bumps_modified_time_and_appends_history(fresh):
    emulator, client = fresh
    updated = emulator.update_object("deals", "7", {"dealstage": "presentationscheduled"})
    assert updated["properties"]["hs_lastmodifieddate"] == "2024-03-15T11:11:01.000Z"
    assert updated["updatedAt"] == "2024-03-15T11:11:01.000Z"
    deal = client.get("/crm/v3/objects/deals/7", params={"propertiesWithHistory": "dealstage"}).json()
    assert deal["properties"]["dealstage"] == "presentationscheduled"
    assert deal["properties"]["hs_lastmodifieddate"] == "2024-03-15T11:11:01.000Z"
    assert [(e["value"], e["timestamp"]) for e in deal["propertiesWithHistory"]["dealstage"]] == [
        ("presentationscheduled", "2024-03-15T11:11:01.000Z"),
        ("qualifiedtobuy", "2024-01-20T08:00:00.000Z"),
        ("appointmentscheduled", "2024-01-05T10:15:00.000Z"),
    ]
    incremental = _search(client, "deals", _modified_filter("GT", MAX_FIXTURE_TIMESTAMP)).json()
    assert _ids(incremental) == [7]
    # a non-historied property bumps the time again but adds no dealstage history
    emulator.update_object("deals", "7", {"amount": 4800})
    again = client.get(
        "/crm/v3/objects/deals/7", params={"propertiesWithHistory": "dealstage", "properties": "amount"}
    ).json()
    assert again["properties"]["amount"] == "4800"
    assert again["properties"]["hs_lastmodifieddate"] == "2024-03-15T11:11:02.000Z"
    assert len(again["propertiesWithHistory"]["dealstage"]) == 3
    # over HTTP, on a contact (lastmodifieddate), with the user recorded in the history entry
    response = httpx.post(
        f"{emulator.base_url}/_emulator/objects/contacts/10",
        json={"properties": {"lifecyclestage": "opportunity"}, "updatedByUserId": 9001},
    )
    assert response.status_code == 200
    contact = client.get(
        "/crm/v3/objects/contacts/10", params={"propertiesWithHistory": "lifecyclestage"}
    ).json()
    assert contact["properties"]["lastmodifieddate"] == "2024-03-15T11:11:03.000Z"
    assert contact["propertiesWithHistory"]["lifecyclestage"][0] == {
        "value": "opportunity",
        "timestamp": "2024-03-15T11:11:03.000Z",
        "sourceType": "CRM_UI",
        "sourceId": "userId:9001",
        "updatedByUserId": 9001,
    }
    assert len(contact["propertiesWithHistory"]["lifecyclestage"]) == 2
    with pytest.raises(KeyError):
        emulator.update_object("deals", "999999", {"dealname": "x"})
    assert (
        httpx.post(f"{emulator.base_url}/_emulator/objects/deals/999999", json={"properties": {}}).status_code
        == 404
    )


def test_archive_object(fresh):
    emulator, client = fresh
    emulator.archive_object("deals", "5")
    assert _ids(client.get("/crm/v3/objects/deals").json()) == ACTIVE_DEALS[1:]
    archived = client.get("/crm/v3/objects/deals", params={"archived": "true"}).json()["results"]
    assert [(r["id"], r["archivedAt"]) for r in archived] == [
        ("5", "2024-03-15T11:11:01.000Z"),
        ("40", "2024-02-15T09:30:00.000Z"),
        ("99", "2024-03-02T17:00:00.000Z"),
    ]
    assert _search(client, "deals", _modified_filter("GT", MAX_FIXTURE_TIMESTAMP)).json()["total"] == 0
    company = client.get("/crm/v3/objects/companies/3", params={"associations": "deals"}).json()
    assert company["associations"] == {"deals": {"results": [{"id": "64", "type": "company_to_deal"}]}}
    assert httpx.post(f"{emulator.base_url}/_emulator/objects/deals/7/archive").json()["archived"] is True


def test_create_object(fresh):
    emulator, client = fresh
    created = emulator.create_object(
        "deals",
        {"dealname": "New one", "dealstage": "appointmentscheduled", "pipeline": "default"},
        {"companies": ["8"]},
    )
    assert (created["id"], created["createdAt"]) == ("151", "2024-03-15T11:11:01.000Z")
    deal = client.get(
        "/crm/v3/objects/deals/151",
        params={"associations": "companies", "propertiesWithHistory": "dealstage"},
    ).json()
    assert deal["associations"] == {"companies": {"results": [{"id": "8", "type": "deal_to_company"}]}}
    assert [e["value"] for e in deal["propertiesWithHistory"]["dealstage"]] == ["appointmentscheduled"]


# ------------------------------------------------------------------ owners, pipelines, properties
def test_owners_paging_and_archived(shared):
    _, client = shared
    owners = _lines("owners.jsonl")
    first = client.get("/crm/v3/owners", params={"limit": 2}).json()
    assert first["results"] == owners[:2]
    assert first["paging"]["next"]["after"] == "103"
    second = client.get("/crm/v3/owners", params={"limit": 2, "after": "103"}).json()
    assert second == {"results": [owners[2]]}
    assert client.get("/crm/v3/owners", params={"archived": "true"}).json() == {"results": [owners[3]]}
    assert client.get("/crm/v3/owners", params={"email": "alan@funnelhouse.example"}).json()["results"] == [
        owners[2]
    ]
    assert client.get("/crm/v3/owners/102").json() == owners[1]
    assert client.get("/crm/v3/owners/9003", params={"idProperty": "userId"}).json() == owners[2]
    _assert_error(client.get("/crm/v3/owners", params={"limit": 501}), 400, "VALIDATION_ERROR")


def test_pipelines_are_served_as_written(shared):
    _, client = shared
    expected = json.loads((FIXTURES / "pipelines.json").read_text())
    assert client.get("/crm/v3/pipelines/deals").json() == expected
    assert client.get("/crm/v3/pipelines/deals/partner").json() == expected["results"][1]
    stages = client.get("/crm/v3/pipelines/deals/default/stages").json()["results"]
    assert [s["id"] for s in stages] == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ]
    assert client.get("/crm/v3/pipelines/tickets").json() == {"results": []}


def test_properties_api(shared):
    _, client = shared
    definitions = {p["name"]: p for p in client.get("/crm/v3/properties/deals").json()["results"]}
    # the fixtures' properties plus the deal properties HubSpot defines in every account (emulators/hubspot/account.py)
    assert sorted(definitions) == [
        "amount",
        "closed_lost_reason",
        "closed_won_reason",
        "closedate",
        "createdate",
        "deal_currency_code",
        "dealname",
        "dealstage",
        "dealtype",
        "description",
        "hs_analytics_source",
        "hs_deal_stage_probability",
        "hs_is_closed",
        "hs_is_closed_won",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hs_priority",
        "hubspot_owner_id",
        "pipeline",
    ]
    assert (
        definitions["amount"]["type"],
        definitions["closedate"]["type"],
        definitions["dealstage"]["type"],
        definitions["dealname"]["type"],
    ) == ("number", "datetime", "enumeration", "string")


# ------------------------------------------------------------------ lifecycle
def test_start_stop_many_times_leaves_no_threads_or_ports():
    baseline = threading.active_count()
    for _ in range(5):
        emulator = HubSpotEmulator(FIXTURES).start()
        port = int(emulator.base_url.rsplit(":", 1)[1])
        assert httpx.get(f"{emulator.base_url}/_emulator/health").json() == {"status": "ok"}
        emulator.stop()
        emulator.stop()  # idempotent
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert threading.active_count() == baseline


def test_missing_data_dir_fails_fast(tmp_path):
    with pytest.raises(FileNotFoundError):
        HubSpotEmulator(tmp_path / "nope").start()
    empty = HubSpotEmulator(tmp_path).start()
    try:
        response = httpx.get(f"{empty.base_url}/crm/v3/objects/deals", headers=AUTH)
        assert response.json() == {"results": []}
        assert httpx.get(f"{empty.base_url}/crm/v3/pipelines/deals", headers=AUTH).json() == {"results": []}
    finally:
        empty.stop()


# ------------------------------------------------------------------ v4 associations, account defaults, scopes, limits
V4_DEAL_TO_CONTACT = {"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}


def test_v4_batch_read_associations(shared):
    _, client = shared
    response = client.post(
        "/crm/v4/associations/deals/contacts/batch/read", json={"inputs": [{"id": "5"}, {"id": "77"}]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "COMPLETE" and "errors" not in body
    # deal 5 -> contacts 1, 2; deal 77 -> contacts 3, 4 (tests/fixtures/hubspot/deals.jsonl)
    assert body["results"] == [
        {"from": {"id": "5"}, "to": [{"toObjectId": "1", "associationTypes": [V4_DEAL_TO_CONTACT]},
                                     {"toObjectId": "2", "associationTypes": [V4_DEAL_TO_CONTACT]}]},
        {"from": {"id": "77"}, "to": [{"toObjectId": "3", "associationTypes": [V4_DEAL_TO_CONTACT]},
                                      {"toObjectId": "4", "associationTypes": [V4_DEAL_TO_CONTACT]}]},
    ]
    # the reverse direction has its own type id (company -> deal 342); archived deal 40 is left out of company 101's
    reverse = client.post(
        "/crm/v4/associations/companies/deals/batch/read", json={"inputs": [{"id": "3"}, {"id": "101"}]}
    )
    assert reverse.status_code == 207
    answer = reverse.json()
    assert [(r["from"]["id"], [t["toObjectId"] for t in r["to"]], r["to"][0]["associationTypes"][0]["typeId"])
            for r in answer["results"]] == [("3", ["5", "64"], 342)]
    assert answer["numErrors"] == 1
    assert answer["errors"][0]["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    assert answer["errors"][0]["context"] == {"fromObjectId": ["101"]}
    # an input's `after` pages within its associations (500 per page): past the end there is nothing
    paged = client.post(
        "/crm/v4/associations/deals/contacts/batch/read", json={"inputs": [{"id": "5", "after": "1"}]}
    ).json()
    assert paged["results"] == [{"from": {"id": "5"}, "to": [{"toObjectId": "2", "associationTypes": [V4_DEAL_TO_CONTACT]}]}]
    too_many = client.post(
        "/crm/v4/associations/deals/contacts/batch/read", json={"inputs": [{"id": str(i)} for i in range(1001)]}
    )
    body = _assert_error(too_many, 400, "VALIDATION_ERROR")
    assert body["message"] == "Batch input is limited to 1000 inputs; got 1001."
    _assert_error(client.post("/crm/v4/associations/deals/widgets/batch/read", json={"inputs": []}), 400,
                  "VALIDATION_ERROR")


def test_hubspot_defined_properties_and_stage_calculated_values(shared):
    _, client = shared
    wanted = "dealtype,hs_is_closed,hs_is_closed_won,hs_deal_stage_probability,hs_priority"
    deals = {
        d["id"]: d["properties"]
        for d in client.get("/crm/v3/objects/deals", params={"properties": wanted, "limit": 100}).json()["results"]
    }
    calculated = ("hs_is_closed", "hs_is_closed_won", "hs_deal_stage_probability")
    # from pipelines.json: closedwon (closed, 1.0), closedlost (closed, 0.0), partner_new (open, 0.1)
    assert {i: tuple(deals[i][p] for p in calculated) for i in ("5", "31", "52")} == {
        "5": ("true", "true", "1.0"),
        "31": ("true", "false", "0.0"),
        "52": ("false", "false", "0.1"),
    }
    assert deals["5"]["dealtype"] is None and deals["5"]["hs_priority"] is None  # defined, never set
    contact = client.get("/crm/v3/objects/contacts/1", params={"properties": "hs_lead_status"}).json()
    assert "hs_lead_status" in contact["properties"]
    company = client.get("/crm/v3/objects/companies/3", params={"properties": "annualrevenue,lifecyclestage"}).json()
    assert {"annualrevenue", "lifecyclestage"} <= set(company["properties"])
    dealtype = client.get("/crm/v3/properties/deals/dealtype").json()
    assert (dealtype["type"], dealtype["hubspotDefined"], [o["value"] for o in dealtype["options"]]) == (
        "enumeration", True, ["newbusiness", "existingbusiness"])
    status = client.get("/crm/v3/properties/contacts/hs_lead_status").json()
    assert [o["value"] for o in status["options"]] == [
        "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING"]
    won = client.get("/crm/v3/properties/deals/hs_is_closed_won").json()
    assert (won["type"], won["calculated"]) == ("bool", True)


def test_undocumented_stage_metadata_is_refused(tmp_path):
    pipelines = json.loads((FIXTURES / "pipelines.json").read_text())
    pipelines["results"][0]["stages"][0]["metadata"]["isWon"] = "false"
    (tmp_path / "pipelines.json").write_text(json.dumps(pipelines))
    with pytest.raises(ValueError, match=r"stage 'appointmentscheduled' of pipeline 'default' has metadata \['isWon'\]"):
        HubSpotEmulator(tmp_path).start()
    pipelines["results"][0]["stages"][0]["metadata"] = {"isClosed": "false", "probability": "20"}  # not 0.0-1.0
    (tmp_path / "pipelines.json").write_text(json.dumps(pipelines))
    with pytest.raises(ValueError, match="outside what HubSpot documents"):
        HubSpotEmulator(tmp_path).start()


def test_missing_scope_answers_403_with_hubspots_body(fresh):
    emulator, client = fresh
    emulator.set_faults(missing_scopes=["crm.objects.deals.read"])
    response = client.get("/crm/v3/objects/deals")
    body = _assert_error(response, 403, "MISSING_SCOPES")
    assert body == {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call. Read more about required "
                   "scopes here: https://developers.hubspot.com/scopes.",
        "correlationId": body["correlationId"],
        "errors": [{"message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": ["crm.objects.deals.read"]}}],
        "links": {"scopes": "https://developers.hubspot.com/scopes"},
        "category": "MISSING_SCOPES",
    }
    assert _search(client, "deals", {}).status_code == 403
    assert client.post("/crm/v4/associations/contacts/deals/batch/read", json={"inputs": []}).status_code == 403
    assert client.get("/crm/v3/objects/contacts").status_code == 200  # other scopes are granted
    emulator.clear_faults()
    assert client.get("/crm/v3/objects/deals").status_code == 200
    with HubSpotEmulator(FIXTURES, missing_scopes=("crm.objects.owners.read",)).start() as lacking:
        owners = httpx.get(f"{lacking.base_url}/crm/v3/owners", headers=AUTH)
        assert owners.json()["errors"][0]["context"] == {"requiredGranularScopes": ["crm.objects.owners.read"]}
        lacking.clear_faults()  # back to what it was started with
        assert httpx.get(f"{lacking.base_url}/crm/v3/owners", headers=AUTH).status_code == 403


def test_hubspot_rate_limit_profile():
    from emulators.hubspot.account import RATE_LIMIT_PROFILES

    with HubSpotEmulator(FIXTURES, **RATE_LIMIT_PROFILES["hubspot"]).start() as emulator:
        with httpx.Client(base_url=emulator.base_url, headers=AUTH) as client:
            # 5 searches in a second pass, the 6th is a SECONDLY 429 (search has its own per-second limit)
            searches = [_search(client, "deals", {}).status_code for _ in range(6)]
            assert searches == [200] * 5 + [429]
            # 190 requests in a rolling 10 s: the 5 searches that passed count (a refused one does not), 185 more
            # pass, the next is TEN_SECONDLY_ROLLING
            statuses = [client.get("/crm/v3/owners").status_code for _ in range(186)]
            assert statuses == [200] * 185 + [429]
            limited = client.get("/crm/v3/owners")
            assert limited.json()["policyName"] == "TEN_SECONDLY_ROLLING"
            assert limited.headers["X-HubSpot-RateLimit-Max"] == "190"
    with HubSpotEmulator(FIXTURES).start() as unlimited:  # off: the headers advertise no burst limit
        listed = httpx.get(f"{unlimited.base_url}/crm/v3/owners", headers=AUTH)
        assert listed.headers["X-HubSpot-RateLimit-Max"] == "500000"
