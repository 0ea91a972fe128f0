"""Zoho CRM source against the Zoho emulator (emulators/zoho): a real dlt pipeline into a DuckDB file, exact counts of
rows and of requests per route (emulator stats): page then page_token past 2,000 records, If-Modified-Since runs
that read only changed records and only their deals' Stage_History, deleted records, the refresh of an expired token
then the one line of a rejected fresh one, 429 and 5xx retried, bad values quarantined with their reason.

The seed is tests/fixtures/zoho/ (hand-written): 4 leads (2 converted), 2 accounts, 3 contacts, 5 deals (D1 open,
D2 won, D3 lost, D4 Amount '12k', D5 Closing_Date 2026-02-30), Stage_History 5 + 3 + 3 rows (D1, D2, D3), deleted:
deal D6 and one lead, 3 users, 2 pipelines with 9 + 3 stages, one Deals layout.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from emulators.zoho import ZohoEmulator
from ingestion.common.reconcile import Reconciliation
from ingestion.pipeline import LoadSummary, make_pipeline, run_source
from ingestion.zoho import ENTITY_TABLES, explain, zoho_source
from support.warehouse import query as query_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "zoho"
SECRETS = {"client_id": "emulator-client-id", "client_secret": "emulator-client-secret",
           "refresh_token": "emulator-refresh-token"}
D1, D6 = "5725767000000540001", "5725767000000540006"
LEAD1, CONTACT3 = "5725767000000510001", "5725767000000530003"
RECORDS, DELETED, RELATED = "/crm/v8/{module}", "/crm/v8/{module}/deleted", "/crm/v8/{module}/{id}/{related}"
TOKEN, USERS = "/oauth/v2/token", "/crm/v8/users"
LAYOUTS, PIPELINES, FIELDS = "/crm/v8/settings/layouts", "/crm/v8/settings/pipeline", "/crm/v8/settings/fields"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "8")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in [name for name in os.environ if name.startswith("SOURCES__ZOHO__")]:
        monkeypatch.delenv(name)


def source(zoho: ZohoEmulator, recon: Reconciliation, **options: Any) -> Any:
    settings = {**SECRETS, "accounts_url": zoho.base_url, "per_page": 2, **options}
    return zoho_source(reconciliation=recon, **settings)


def load(zoho: ZohoEmulator, where: Path, only: tuple[str, ...] = (), **options: Any) -> LoadSummary:
    """One run into where/w.duckdb (its pipeline state under where/pl), 2 records a page unless said."""
    recon = Reconciliation("zoho")
    pipeline = make_pipeline("zoho", warehouse=where / "w.duckdb", pipelines_dir=where / "pl")
    with pipeline.managed_state():  # the source reads its saved cursors while it is built
        built = source(zoho, recon, **options)
    if only:
        built = built.with_resources(*only)
    return run_source("zoho", built, recon, set(only) or ENTITY_TABLES, pipeline)


def tallies(summary: LoadSummary) -> dict[str, tuple[int, int, int]]:
    return {t.input_name.split("/")[1]: (t.rows_read, t.rows_loaded, t.rows_quarantined) for t in summary.tallies}


def requests(zoho: ZohoEmulator) -> dict[str, dict[str, int]]:
    """{route: {status: n}} since the last call; the emulator's counts restart."""
    routes = zoho.stats().get("routes", {})
    zoho.reset_stats()
    return routes


def query(where: Path, sql: str) -> list[tuple]:
    return query_warehouse(where / "w.duckdb", sql)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc).replace(tzinfo=None)


def seed_history() -> set[tuple[str, str, str, datetime]]:
    """(id, deal, stage, Modified_Time in UTC) of the seed's Stage_History: what the emulator serves."""
    lines = (FIXTURES / "Stage_History.jsonl").read_text().splitlines()
    return {(r["id"], r["deal_id"], r["Stage"], utc(r["Modified_Time"])) for r in map(json.loads, lines)}


HISTORY = "select id, deal_id, stage, cast(modified_time as timestamp) from raw_zoho.deal_stage_history"


# ---------------------------------------------------------------- first run, then If-Modified-Since runs
def test_first_run_then_only_changed_records_and_their_stage_history(tmp_path: Path) -> None:
    with ZohoEmulator(FIXTURES).start() as zoho:
        first = load(zoho, tmp_path)
        assert tallies(first) == {
            "leads": (4, 4, 0), "accounts": (2, 2, 0), "contacts": (3, 3, 0), "deals": (5, 3, 2),
            "deal_stage_history": (11, 11, 0), "deleted_records": (2, 2, 0), "users": (3, 3, 0),
            "stages": (12, 12, 0)}
        # 2 a page: leads 4 -> 2 pages, accounts 2 -> 1, contacts 3 -> 2, deals 5 -> 3; Stage_History per listed
        # deal: D1 5 rows -> 3 pages, D2 3 -> 2, D3 3 -> 2, D4 and D5 none (204); deleted: Deals and Leads one
        # each, Accounts and Contacts 204; users 3 -> 2 pages; one layout, its pipelines, the Stage picklist's
        # probabilities (settings/fields, once); one refresh grant
        assert requests(zoho) == {
            TOKEN: {"200": 1}, RECORDS: {"200": 8}, RELATED: {"200": 7, "204": 2}, DELETED: {"200": 2, "204": 2},
            USERS: {"200": 2}, LAYOUTS: {"200": 1}, PIPELINES: {"200": 1}, FIELDS: {"200": 1}}
        assert query(tmp_path, "select id, stage, amount, reason_for_loss_s, owner_name from raw_zoho.deals "
                               "order by id") == [
            (D1, "Negotiation/Review", 48000, None, "Patricia Boyle"),
            ("5725767000000540002", "Closed Won", 12500.5, None, "Patricia Boyle"),
            ("5725767000000540003", "Closed Lost", 9000, "Price", "Ravi Menon")]
        assert query(tmp_path, "select field, raw_value, reason from raw_zoho.quarantine order by field") == [
            ("Amount", "12k", "Amount is not a number: '12k'; correct the value in Zoho CRM"),
            ("Closing_Date", "2026-02-30", "Closing_Date is not on the calendar: '2026-02-30'; correct the value "
                                           "in Zoho CRM")]
        # the Stage_History is the emulator's: D1's backward move (Value Proposition -> Needs Analysis), D2's skip
        assert set(query(tmp_path, HISTORY)) == seed_history()
        assert query(tmp_path, "select module, id, type from raw_zoho.deleted_records order by module") == [
            ("Deals", D6, "recycle"), ("Leads", "5725767000000510005", "permanent")]
        assert query(tmp_path, "select count(*), count(converted_time) from raw_zoho.leads where converted") == [
            (2, 2)]
        assert query(tmp_path, "select pipeline_name, stage_name, display_order, probability, forecast_type "
                               "from raw_zoho.stages where pipeline_name = 'Renewals' order by display_order") == [
            ("Renewals", "Renewal Due", 1, 50, "Open"), ("Renewals", "Renewed", 2, 100, "Closed Won"),
            ("Renewals", "Churned", 3, 0, "Closed Lost")]

        # a user moves D1 to Closed Won (a new Stage_History row), edits a lead, deletes a contact
        zoho.update_record("Deals", D1, {"Stage": "Closed Won", "Probability": 100})
        zoho.update_record("Leads", LEAD1, {"Lead_Status": "Contacted"})
        zoho.delete_record("Contacts", CONTACT3)
        zoho.reset_stats()
        second = load(zoho, tmp_path)
        # If-Modified-Since the saved Modified_Time (the emulator keeps records modified at or after it, so the
        # record at each cursor comes again and dlt's incremental drops it): one page per module; only D1's
        # Stage_History (6 rows -> 3 pages); deleted: Deals and Leads since their saved deleted_time (D6 and the
        # lead again, dropped as loaded), Contacts listed whole (no cursor yet: C3), Accounts 204
        assert requests(zoho) == {
            TOKEN: {"200": 1}, RECORDS: {"200": 4}, RELATED: {"200": 3},
            DELETED: {"200": 3, "204": 1}, USERS: {"200": 2}, LAYOUTS: {"200": 1}, PIPELINES: {"200": 1},
            FIELDS: {"200": 1}}
        assert tallies(second) == {
            "leads": (1, 1, 0), "accounts": (0, 0, 0), "contacts": (0, 0, 0), "deals": (1, 1, 0),
            "deal_stage_history": (6, 6, 0), "deleted_records": (1, 1, 0), "users": (3, 3, 0),
            "stages": (12, 12, 0)}
        assert query(tmp_path, f"select stage, probability from raw_zoho.deals where id = '{D1}'") == [
            ("Closed Won", 100)]
        assert query(tmp_path, "select count(*), count(distinct id) from raw_zoho.deal_stage_history") == [(12, 12)]
        assert query(tmp_path, "select module, id from raw_zoho.deleted_records order by module, id") == [
            ("Contacts", CONTACT3), ("Deals", D6), ("Leads", "5725767000000510005")]

        third = load(zoho, tmp_path)  # nothing changed: the records at the cursors only, no Stage_History read
        routes = requests(zoho)
        assert routes[RECORDS] == {"200": 4} and RELATED not in routes
        assert tallies(third)["deals"] == (0, 0, 0)
    details = {t.input_name: t.detail for t in second.tallies}
    assert details["zoho/deals"] == "If-Modified-Since 2025-12-03T00:30:00+00:00"  # D1's 2025-12-02T16:30-08:00
    assert {t.input_name: t.detail for t in first.tallies}["zoho/leads"] == "listed all (first run)"


# ---------------------------------------------------------------- paging past 2,000 records
def test_page_then_page_token_past_2000_records(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    deal = json.loads((FIXTURES / "Deals.jsonl").read_text().splitlines()[0])
    with (seed / "Deals.jsonl").open("w") as out:
        for n in range(2050):
            out.write(json.dumps({**deal, "id": str(5725767000001000000 + n),
                                  "Modified_Time": f"2025-12-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"}
                                 ) + "\n")
    with ZohoEmulator(seed).start() as zoho:
        summary = load(zoho, tmp_path, only=("deals",), per_page=200)
        # pages 1..10 by `page` (records 1..2,000), page 11 by page_token (2,001..2,050): the emulator refuses a
        # `page` past the 2,000th record (400 DISCRETE_PAGINATION_LIMIT_EXCEEDED)
        assert requests(zoho) == {TOKEN: {"200": 1}, RECORDS: {"200": 11}}
    assert tallies(summary)["deals"] == (2050, 2050, 0)
    assert query(tmp_path, "select count(distinct id) from raw_zoho.deals") == [(2050,)]


# ---------------------------------------------------------------- token, limits
def test_an_expired_token_is_refreshed_once(tmp_path: Path) -> None:
    with ZohoEmulator(FIXTURES).start() as zoho:
        recon = Reconciliation("zoho")
        pipeline = make_pipeline("zoho", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
        built = source(zoho, recon).with_resources("users")  # the refresh grant: token 1
        zoho.set_faults(expired_token=True)  # token 1 now answers 401 INVALID_TOKEN
        summary = run_source("zoho", built, recon, {"users"}, pipeline)
        # 401 on the first page, a second grant, the page again with token 2, then page 2
        assert requests(zoho) == {TOKEN: {"200": 2}, USERS: {"401": 1, "200": 2}}
    assert tallies(summary)["users"] == (3, 3, 0)


def test_a_rejected_fresh_token_and_a_refused_grant_are_one_line(tmp_path: Path) -> None:
    # tokens granted by another org's accounts server: the API refuses the first and the refreshed one
    with ZohoEmulator(FIXTURES).start() as api, ZohoEmulator(FIXTURES).start() as accounts:
        recon = Reconciliation("zoho")
        pipeline = make_pipeline("zoho", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
        built = source(accounts, recon, api_domain=api.base_url).with_resources("users")
        with pytest.raises(Exception) as raised:
            run_source("zoho", built, recon, {"users"}, pipeline)
        assert requests(api) == {USERS: {"401": 2}} and requests(accounts) == {TOKEN: {"200": 2}}
        assert explain(raised.value) == (
            "Zoho CRM rejected a freshly obtained access token (401: INVALID_TOKEN: invalid oauth token): check "
            "client_id / client_secret / refresh_token under [sources.zoho] in .dlt/secrets.toml or "
            "FUNNELHOUSE_ZOHO_CLIENT_ID / FUNNELHOUSE_ZOHO_CLIENT_SECRET / FUNNELHOUSE_ZOHO_REFRESH_TOKEN, and "
            "that the refresh token was issued by the accounts server of the org's data centre, and that the user "
            "may use the API")
        with pytest.raises(Exception) as refused:
            source(accounts, recon, refresh_token="revoked")
        assert explain(refused.value) == (
            "Zoho CRM token endpoint refused the refresh_token grant (invalid_code): check client_id / "
            "client_secret / refresh_token under [sources.zoho] in .dlt/secrets.toml or FUNNELHOUSE_ZOHO_CLIENT_ID / "
            "FUNNELHOUSE_ZOHO_CLIENT_SECRET / FUNNELHOUSE_ZOHO_REFRESH_TOKEN, and that the refresh token was issued "
            "by the accounts server of the org's data centre")


def test_429_and_5xx_are_retried(tmp_path: Path) -> None:
    with ZohoEmulator(FIXTURES).start() as zoho:
        recon = Reconciliation("zoho")
        pipeline = make_pipeline("zoho", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
        built = source(zoho, recon).with_resources("users")
        zoho.set_faults(rate_limit_burst=2, server_errors=1)
        summary = run_source("zoho", built, recon, {"users"}, pipeline)
        # the first page answers 500 once and 429 TOO_MANY_REQUESTS twice, then 200; page 2 at once
        statuses = requests(zoho)[USERS]
    assert tallies(summary)["users"] == (3, 3, 0)
    assert statuses == {"500": 1, "429": 2, "200": 2}


def test_page_then_token_stops_on_more_records_false_and_says_a_missing_token() -> None:
    from requests import Request, Response

    from ingestion.common.errors import FunnelhouseError
    from ingestion.common.rest import page_then_token

    def answer(info: dict[str, Any]) -> Response:
        response = Response()
        response.status_code, response._content = 200, json.dumps({"data": [], "info": info}).encode()
        response.url = "https://www.zohoapis.com/crm/v8/Deals?page=10"
        return response

    paginator, request = page_then_token(per_page=200), Request("GET", "https://x/crm/v8/Deals", params={})
    paginator.init_request(request)
    assert request.params == {"page": 1, "per_page": 200}
    paginator.update_state(answer({"more_records": True, "next_page_token": "t2"}))
    paginator.update_request(request)
    assert request.params == {"page": 2, "per_page": 200}  # page 2 of 200: records 201..400, still by page
    paginator.page = 10  # page 11 would start at record 2,001: the token from here on
    paginator.update_state(answer({"more_records": True, "next_page_token": "t11"}))
    paginator.update_request(request)
    assert request.params == {"per_page": 200, "page_token": "t11"} and paginator.has_next_page
    paginator.update_state(answer({"more_records": False}))
    assert not paginator.has_next_page
    paginator.init_request(request)  # a new listing (a child per deal) starts over by page
    assert request.params == {"page": 1, "per_page": 200}
    paginator.page = 10
    with pytest.raises(FunnelhouseError, match="more records after record 2,000 but no info.next_page_token"):
        paginator.update_state(answer({"more_records": True}))


def test_a_field_added_to_every_record_changes_nothing_loaded(tmp_path: Path) -> None:
    # the source asks for its fields by name (`fields=`): a field an admin adds is not read, nothing breaks
    with ZohoEmulator(FIXTURES).start() as zoho:
        zoho.set_faults(extra_field={"name": "Partner_Channel__c", "value": "Marketplace"})
        summary = load(zoho, tmp_path, only=("deals",))
    assert tallies(summary)["deals"] == (5, 3, 2)
    assert "partner_channel_c" not in {name for (name,) in query(
        tmp_path, "select column_name from information_schema.columns where table_name = 'deals'")}
