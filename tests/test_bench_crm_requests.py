"""bench.crm_requests on a tiny seed: exact requests per route of each CRM source's full and incremental load (from
the sources' page sizes and the seed's counts), rows loaded, and the 1M extrapolation and its cost against the
vendors' limits, so the closing-note figures cannot silently break.

The seed: bench.crm_requests.run(50 deals, share 0.1) generates each CRM's folder at the scale giving 50 deals
(Salesforce 50/150, Pipedrive and fxiaoke 50/120, Zoho 50/100, HubSpot 50/200 of scale 1) and changes every 10th live deal
(5 deals: the 1st, 3rd, 5th get +100 on the amount, the 2nd and 4th move to another stage of their pipeline).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import crm_limits
from bench.crm_requests import markdown, routes, run

SF = "/services/data/v62.0"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        return run(50, ["salesforce", "pipedrive", "zoho", "hubspot", "fxiaoke"], tmp_path_factory.mktemp("crm_requests"),
                   share=0.1, log=lambda message: None)


def crm(results: dict[str, Any], name: str) -> dict[str, Any]:
    found = results["crms"][name]
    assert found["full"]["error"] is None and found["incremental"]["error"] is None
    assert (found["deals"], found["changed"], found["stage_moves"]) == (50, 5, 2)
    return found


def test_salesforce(results: dict[str, Any]) -> None:
    sf = crm(results, "salesforce")
    # 7 objects, each described once a run; a first run counts each (SELECT COUNT(): 50 opportunities < the Bulk
    # threshold, so REST) then reads it in one batch (2,000 a batch): User and OpportunityStage on /query, the
    # other 5 on /queryAll (deleted rows too) -> 2 + 2 and 5 + 5; one client-credentials token
    assert sf["full"]["requests"] == {f"{SF}/query": 4, f"{SF}/queryAll": 10,
                                      f"{SF}/sobjects/{{sobject}}/describe": 7, "/services/oauth2/token": 1}
    # later runs: no counts, one changed-since query per object
    assert sf["incremental"]["requests"] == {f"{SF}/query": 2, f"{SF}/queryAll": 5,
                                             f"{SF}/sobjects/{{sobject}}/describe": 7, "/services/oauth2/token": 1}
    # 5 opportunities changed, each writing one OpportunityHistory row (amount and stage edits alike)
    assert sf["incremental"]["tables"] == {"users": 0, "accounts": 0, "contacts": 0, "leads": 0,
                                           "opportunities": 5, "opportunity_history": 5, "opportunity_stages": 0}
    assert sf["full"]["tables"]["opportunities"] == 50 and sf["full"]["rows_loaded"] == 634


def test_pipedrive(results: dict[str, Any]) -> None:
    pd = crm(results, "pipedrive")
    # 500 a page: live deals 1 page + the deleted sweep 1; one changelog read per deal (50, each under 500 items);
    # 42 persons, 25 organizations, 2 pipelines, 8 stages, 5 users, the deal fields: one page each
    assert pd["full"]["requests"] == {
        "/api/v1/dealFields": 1, "/api/v1/deals/{id}/changelog": 50, "/api/v1/users": 1, "/api/v2/deals": 2,
        "/api/v2/organizations": 1, "/api/v2/persons": 1, "/api/v2/pipelines": 1, "/api/v2/stages": 1}
    # updated_since and the deleted sweep: 1 page each; the changelogs of the 5 changed deals only
    assert pd["incremental"]["requests"] == {**pd["full"]["requests"], "/api/v1/deals/{id}/changelog": 5}
    assert pd["incremental"]["tables"]["deals"] == 5 and pd["full"]["tables"]["deals"] == 50


def test_zoho(results: dict[str, Any]) -> None:
    zoho = crm(results, "zoho")
    # 200 a page: Leads 59, Accounts 25, Contacts 40, Deals 50 -> 1 page each; the deleted records of the 4
    # modules; the Stage_History related list of each of the 50 deals (1 page each); users, layouts, pipelines;
    # one refresh grant
    assert zoho["full"]["requests"] == {
        "/crm/v8/settings/layouts": 1, "/crm/v8/settings/pipeline": 1, "/crm/v8/users": 1, "/crm/v8/{module}": 4,
        "/crm/v8/{module}/deleted": 4, "/crm/v8/{module}/{id}/{related}": 50, "/oauth/v2/token": 1}
    # If-Modified-Since: the same listings, and the Stage_History of the 5 changed deals only
    assert zoho["incremental"]["requests"] == {**zoho["full"]["requests"], "/crm/v8/{module}/{id}/{related}": 5}
    assert zoho["incremental"]["tables"]["deals"] == 5 and zoho["full"]["tables"]["deals"] == 50


def test_hubspot(results: dict[str, Any]) -> None:
    hs = crm(results, "hubspot")
    # 50 a page (history asked) plus one archived sweep each: companies 30 -> 1 + 1, contacts 62 -> 2 + 1, deals
    # 47 live (3 archived) -> 1 + 1; owners active + archived; the deal pipelines
    assert hs["full"]["requests"] == {
        "/crm/v3/objects/companies": 2, "/crm/v3/objects/contacts": 3, "/crm/v3/objects/deals": 2,
        "/crm/v3/owners": 2, "/crm/v3/pipelines/deals": 1}
    # a search per object for the changes, the changed deals read in one batch with their history and
    # associations, the archived sweeps
    assert hs["incremental"]["requests"] == {
        "/crm/v3/objects/companies": 1, "/crm/v3/objects/companies/search": 1, "/crm/v3/objects/contacts": 1,
        "/crm/v3/objects/contacts/search": 1, "/crm/v3/objects/deals": 1, "/crm/v3/objects/deals/batch/read": 1,
        "/crm/v3/objects/deals/search": 1, "/crm/v3/owners": 2, "/crm/v3/pipelines/deals": 1,
        "/crm/v4/associations/deals/companies/batch/read": 1, "/crm/v4/associations/deals/contacts/batch/read": 1}
    assert hs["incremental"]["tables"]["deals"] == 5


def test_fxiaoke(results: dict[str, Any]) -> None:
    fx = crm(results, "fxiaoke")
    # every object through /cgi/crm/v2/data/query, 100 a page: 商机 48 live -> 1 page, the 2 deleted 1, stage
    # changes 174 live (9 deleted) -> 2, accounts 25, leads 75, contacts 42 -> 1 each: 7; the describes of
    # 商机 and 线索 (their option labels), the address book, one corpAccessToken
    assert fx["full"]["requests"] == {"/cgi/corpAccessToken/get/V2": 1, "/cgi/crm/v2/data/query": 7,
                                      "/cgi/crm/v2/object/describe": 2, "/cgi/user/list": 1}
    # last_modified_time GTE the cursor: one page per listing (6), only 商机's describe (no lead changed)
    assert fx["incremental"]["requests"] == {"/cgi/corpAccessToken/get/V2": 1, "/cgi/crm/v2/data/query": 6,
                                             "/cgi/crm/v2/object/describe": 1, "/cgi/user/list": 1}
    # the 5 changed 商机, and the 2 stage moves' new stage-change records
    assert (fx["incremental"]["tables"]["deals"], fx["incremental"]["tables"]["stage_changes"]) == (5, 2)


def test_million_and_its_cost(results: dict[str, Any]) -> None:
    pd = results["crms"]["pipedrive"]["million"]
    # routes asked as often in both loads stay (8 requests on 7 routes); the changelog grows 50 -> 1,000,000
    assert pd["by_route"]["/api/v1/deals/{id}/changelog"] == 1_000_000 and pd["requests"] == 1_000_008
    # tokens: v1 at 20 (1,000,000 changelogs, dealFields, users) 20,000,040 + v2 lists at 10 (deals 2, persons,
    # organizations, pipelines, stages) 60 = 20,000,100; Premium, 10 seats: 30,000 x 5 x 10 = 1,500,000 a day
    # -> 13.33 days; 100 per 2 s -> 1,000,008 / 50 a second = 5.56 h
    assert (pd["units"], pd["daily"], pd["days"], pd["burst_hours"]) == (20_000_100, 1_500_000, 13.33, 5.56)
    zoho = results["crms"]["zoho"]["million"]
    # 1,000,000 Stage_History reads + 12 fixed = 1,000,012 credits; Enterprise 10 users: 25,000 a day -> 40 days
    assert (zoho["units"], zoho["daily"], zoho["days"], zoho["burst_hours"]) == (1_000_012, 25_000, 40.0, None)
    text = markdown(results)
    assert "| pipedrive | 50 | 58 |" in text and crm_limits.LIMITS["zoho"].source in text


def test_extrapolation_and_routes_without_route_stats() -> None:
    # fixed when asked at most 3 times or as often by the incremental load; else times target / deals
    assert crm_limits.extrapolate({"/a": 5, "/b": 10, "/c": 2}, {"/a": 5, "/b": 1}, 100, 1000) == {
        "/a": 5, "/b": 100, "/c": 2}
    assert crm_limits.extrapolate({"/a": 5, "/b": 10}, None, 100, 1000) == {"/a": 50, "/b": 100}
    # fxiaoke's per-route limit: the busiest interface, 100 per 20 s -> 36,000 calls take 2 h
    assert crm_limits.cost("fxiaoke", {"/q": 36_000, "/d": 10})["burst_hours"] == 2.0
    stats = {"paths": {"/cgi/crm/v2/data/query": {"200": 4}, "/v1/deals/123/changelog": {"200": 1},
                       "/v1/deals/124/changelog": {"200": 1, "429": 1}}, "statuses": {"200": 6, "429": 1}}
    assert routes(stats) == {"/cgi/crm/v2/data/query": 4, "/v1/deals/{id}/changelog": 3}
