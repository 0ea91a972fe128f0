"""A second YAML CRM (ingestion/rest_crm) written in the test's tmp folder and found through FUNNELHOUSE_REST_CRM_DIR:
"tinycrm", a made-up REST CRM served by a tiny local server (tests/connector_server.py) with a bearer token, page
number paging, a child endpoint per deal with cursor paging, link-header paging and ISO 8601 times with offsets;
also header-key and OAuth-refresh auth, the error rule's retries, and the YAML errors as one exact line each."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from connector_server import Seen, TinyServer

from ingestion import connectors
from ingestion.common.errors import FunnelhouseError
from ingestion.common.explain import exception_chain
from ingestion.rest_crm.registry import DIR_ENV, yaml_connector, yaml_connectors
from ingestion.rest_crm.source import rest_crm_source
from ingestion.rest_crm.spec import load_spec
from ingestion.run import IngestOptions, ingest_source, skip_reason

TOKEN = "s3cret"


def _deal(number: int, stage: str, amount: str, updated: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"D{number}", "title": f"Deal {number}", "stage": stage,
            "value": {"amount": amount, "currency": "EUR"}, "probability": 40, "close_date": "2026-04-30",
            "created_at": "2026-03-01T09:00:00+01:00", "updated_at": updated, "owner": {"id": 7},
            "source": "web", "archived": False, **extra}


DEALS = [
    _deal(1, "qual", "1200.50", "2026-03-05T10:00:00+01:00"),
    _deal(2, "won", "300", "2026-03-06T08:00:00Z", closed_at="2026-03-06T08:00:00Z", source="ref",
          owner={"id": 8}),
    _deal(3, "qual", "12k", "2026-03-04T08:00:00-05:00", source="fair"),  # a bad amount: quarantined
    _deal(4, "lost", "50", "2026-03-05T12:00:00Z", archived=True, source=None),  # archived: is_deleted
    _deal(5, "prop", "0.5", "2026-03-05T13:00:00+00:00", close_date=None),
]
HISTORY = {"D1": [{"id": "H1", "to": "new", "from": None, "at": "2026-03-01T09:00:00+01:00"},
                  {"id": "H2", "to": "qual", "from": "new", "at": "2026-03-02T09:00:00+01:00"},
                  {"id": "H3", "to": "prop", "from": "qual", "at": "2026-03-03T09:00:00+01:00"},
                  {"id": "H4", "to": "qual", "from": "prop", "at": "2026-03-05T10:00:00+01:00"}],  # backward
           "D2": [{"id": "H5", "to": "won", "from": "new", "at": "2026-03-06T08:00:00Z"}]}  # a skip
USERS = [{"id": 7, "name": "Ann", "email": "ann@tiny.test", "active": True},
         {"id": 8, "name": "Bo", "email": "bo@tiny.test", "active": True},
         {"id": 9, "name": "Cy", "email": None, "active": False}]

SPEC = """
base_url: https://api.tinycrm.example
settings:
  api_token: {secret: true}
auth: {type: bearer, token: api_token}
options:
  stages:
    static:
      stage: {new: New, qual: Qualified, prop: Proposal, won: Won, lost: Lost}
endpoints:
  deals:
    table: deals
    path: /api/deals
    params: {updated_since: "{since}"}
    data_selector: data
    paging: {type: page_number, page_size: 2, total_path: meta.total_pages}
    incremental: {field: updated_at, format: iso, initial: "2000-01-01T00:00:00Z"}
    columns:
      deal_id: id
      deal_name: title
      stage: {path: stage, labels: stages.stage}
      amount: value.amount
      currency_code: value.currency
      probability: probability
      expected_close_on: {path: close_date, format: date}
      created_at: created_at
      modified_at: updated_at
      closed_at: closed_at
      owner_id: owner.id
      channel: {path: source, map: {web: website, ref: referral}, otherwise: other}
      is_deleted: archived
  stage_history:
    table: deal_stage_changes
    path: /api/deals/{parent}/history
    parent: {endpoint: deals, field: id}
    data_selector: items
    paging: {type: cursor, cursor_path: next_cursor, cursor_param: cursor}
    columns:
      change_id: id
      deal_id: _parent
      stage: {path: to, labels: stages.stage}
      from_stage: {path: from, labels: stages.stage}
      changed_at: at
  users:
    table: owners
    path: /api/users
    paging: {type: link_header}
    columns:
      owner_id: id
      owner_name: name
      email: email
      is_active: active
"""


class TinyCrm:
    """The made-up CRM: deals by page number (updated_since filter), each deal's history by cursor, users by
    link header; every route wants `Authorization: Bearer s3cret`."""

    def __init__(self) -> None:
        self.deals = [dict(deal) for deal in DEALS]
        routes = {"GET /api/deals": self.list_deals, "GET /api/users": self.users}
        for number in range(1, 7):
            routes[f"GET /api/deals/D{number}/history"] = self.history(f"D{number}")
        self.server = TinyServer(routes)

    def authorized(self, seen: Seen) -> bool:
        return seen.headers.get("Authorization") == f"Bearer {TOKEN}"

    def list_deals(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if not self.authorized(seen):
            return 401, {}, {"message": "bad token"}
        since = datetime.fromisoformat(seen.query["updated_since"][0])
        found = [deal for deal in self.deals if datetime.fromisoformat(deal["updated_at"]) >= since]
        page, size = int(seen.query.get("page", ["1"])[0]), int(seen.query["per_page"][0])
        pages = max(1, -(-len(found) // size))
        return 200, {}, {"data": found[(page - 1) * size: page * size], "meta": {"page": page, "total_pages": pages}}

    def history(self, deal: str) -> Any:
        def route(seen: Seen) -> tuple[int, dict[str, str], Any]:
            items, start = HISTORY.get(deal, []), int(seen.query.get("cursor", ["0"])[0])
            more = start + 3 < len(items)
            return 200, {}, {"items": items[start:start + 3], "next_cursor": start + 3 if more else None}

        return route

    def users(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.query.get("page") == ["2"]:
            return 200, {}, USERS[2:]
        return 200, {"Link": f'<{self.server.url}/api/users?page=2>; rel="next"'}, USERS[:2]


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")


@pytest.fixture
def tinycrm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """crms/tinycrm.yaml in a folder of the test's own, registered as FUNNELHOUSE_REST_CRM_DIR would."""
    folder = tmp_path / "team_crms"
    folder.mkdir()
    (folder / "tinycrm.yaml").write_text(SPEC, encoding="utf-8")
    found = {entry.name: entry for entry in yaml_connectors({"hubspot"}, {DIR_ENV: str(folder)})}
    assert list(found) == ["fxiaoke", "tinycrm"]  # crms/ beside the engine first, then the team's folder
    monkeypatch.setitem(connectors.BY_NAME, "tinycrm", found["tinycrm"])
    return folder / "tinycrm.yaml"


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as db:
        return db.sql(sql).fetchall()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def test_a_second_yaml_crm_loads_its_raw_tables(tinycrm: Path, tmp_path: Path) -> None:
    crm = TinyCrm()
    with crm.server:
        options = IngestOptions(inputs_dir=tmp_path / "inputs", warehouse=tmp_path / "w.duckdb",
                                pipelines_dir=tmp_path / "pipelines")
        assert skip_reason("tinycrm", options) == (
            "tinycrm: skipped — no api_token configured (set api_token under [sources.tinycrm] in .dlt/secrets.toml "
            "or FUNNELHOUSE_TINYCRM_API_TOKEN)")
        options.api_settings = {"tinycrm": {"base_url": crm.server.url, "api_token": TOKEN}}
        summary, errors = ingest_source("tinycrm", options)
        assert errors == []
        assert {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined) for t in summary.tallies} == {
            "tinycrm/deals": (5, 4, 1), "tinycrm/stage_history": (5, 5, 0), "tinycrm/users": (3, 3, 0)}
        # deals: pages 1-3 of 2 (total_pages 3); history: one request per listed deal (5), D1's 4 changes on 2
        # cursor pages; users: 2 pages by Link header; 11 requests
        assert sorted(crm.server.paths()) == sorted(
            ["GET /api/deals"] * 3 + [f"GET /api/deals/D{n}/history" for n in (1, 1, 2, 3, 4, 5)]
            + ["GET /api/users"] * 2)
        assert all(seen.headers["Authorization"] == f"Bearer {TOKEN}" for seen in crm.server.seen)
        warehouse = options.warehouse
        assert rows(warehouse, "select * exclude (_dlt_load_id, _dlt_id) from raw_tinycrm.deals order by 1") == [
            ("D1", "Deal 1", None, "Qualified", Decimal("1200.5"), "EUR", 40.0, date(2026, 4, 30),
             utc("2026-03-01T08:00:00Z"), utc("2026-03-05T09:00:00Z"), None, "7", None, None, None, "website", None,
             False),
            ("D2", "Deal 2", None, "Won", Decimal("300"), "EUR", 40.0, date(2026, 4, 30), utc("2026-03-01T08:00:00Z"),
             utc("2026-03-06T08:00:00Z"), utc("2026-03-06T08:00:00Z"), "8", None, None, None, "referral", None, False),
            ("D4", "Deal 4", None, "Lost", Decimal("50"), "EUR", 40.0, date(2026, 4, 30), utc("2026-03-01T08:00:00Z"),
             utc("2026-03-05T12:00:00Z"), None, "7", None, None, None, None, None, True),
            ("D5", "Deal 5", None, "Proposal", Decimal("0.5"), "EUR", 40.0, None, utc("2026-03-01T08:00:00Z"),
             utc("2026-03-05T13:00:00Z"), None, "7", None, None, None, "website", None, False)]
        assert rows(warehouse, "select * exclude (_dlt_load_id, _dlt_id) from raw_tinycrm.deal_stage_changes "
                               "order by 1") == [
            ("H1", "D1", "New", None, utc("2026-03-01T08:00:00Z")),
            ("H2", "D1", "Qualified", "New", utc("2026-03-02T08:00:00Z")),
            ("H3", "D1", "Proposal", "Qualified", utc("2026-03-03T08:00:00Z")),
            ("H4", "D1", "Qualified", "Proposal", utc("2026-03-05T09:00:00Z")),
            ("H5", "D2", "Won", "New", utc("2026-03-06T08:00:00Z"))]
        assert rows(warehouse, "select * exclude (_dlt_load_id, _dlt_id) from raw_tinycrm.owners order by 1") == [
            ("7", "Ann", "ann@tiny.test", None, True), ("8", "Bo", "bo@tiny.test", None, True),
            ("9", "Cy", None, None, False)]
        assert rows(warehouse, "select field, raw_value, reason from raw_tinycrm.quarantine") == [
            ("value.amount", "12k", "value.amount is not a number: '12k'; correct the value in tinycrm")]
        assert rows(warehouse, "select crm_name, spec_file from raw_tinycrm.crm_spec") == [
            ("tinycrm", "tinycrm.yaml")]
        assert rows(warehouse, "select input_name, rows_read, rows_loaded, rows_quarantined "
                               "from raw_tinycrm.reconciliation order by 1") == [
            ("tinycrm/deals", 5, 4, 1), ("tinycrm/stage_history", 5, 5, 0), ("tinycrm/users", 3, 3, 0)]

        # D2 changes (won -> lost) and D6 is new: the second run asks for deals updated since the saved cursor
        crm.deals[1] = {**crm.deals[1], "stage": "lost", "updated_at": "2026-03-07T09:00:00+01:00"}
        crm.deals.append(_deal(6, "new", "75", "2026-03-08T10:00:00Z"))
        crm.server.seen.clear()
        summary, errors = ingest_source("tinycrm", options)
        assert {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined) for t in summary.tallies} == {
            "tinycrm/deals": (2, 2, 0), "tinycrm/stage_history": (1, 1, 0), "tinycrm/users": (3, 3, 0)}
        # deals 1 page (D2, D6) since D2's 2026-03-06T08:00:00Z; their 2 histories; users 2 pages: 5 requests
        assert sorted(crm.server.paths()) == ["GET /api/deals", "GET /api/deals/D2/history",
                                              "GET /api/deals/D6/history", "GET /api/users", "GET /api/users"]
        assert crm.server.seen[0].query["updated_since"] == ["2026-03-06T08:00:00Z"]
        assert rows(warehouse, "select deal_id, stage from raw_tinycrm.deals order by 1") == [
            ("D1", "Qualified"), ("D2", "Lost"), ("D4", "Lost"), ("D5", "Proposal"), ("D6", "New")]


def test_header_key_auth_and_the_error_rule(tmp_path: Path) -> None:
    """A CRM whose errors come as HTTP 200 {"error": {"code": ...}}: "BUSY" is retried, then one line."""
    answers: list[Any] = [{"error": {"code": "BUSY", "text": "slow down"}}] * 2 + [{"rows": [{"id": 1, "name": "A"}]}]

    def users(seen: Seen) -> tuple[int, dict[str, str], Any]:
        assert seen.headers.get("X-Api-Key") == "k3y" and seen.query.get("locale") == ["zh"]
        return 200, {}, answers.pop(0) if answers else {"error": {"code": "BUSY", "text": "slow down"}}

    spec = tmp_path / "crms" / "keyed.yaml"
    spec.parent.mkdir()
    spec.write_text(yaml.safe_dump({
        "base_url": "http://127.0.0.1", "settings": {"api_key": {"secret": True}, "locale": {"default": "zh"}},
        "auth": {"type": "header", "header": "X-Api-Key", "key": "api_key"},
        "errors": {"code_path": "error.code", "message_path": "error.text", "retry_codes": ["BUSY"],
                   "retry_seconds": 0.01, "retry_attempts": 2},
        "endpoints": {"users": {"table": "owners", "path": "/users", "params": {"locale": "{locale}"},
                                "data_selector": "rows", "columns": {"owner_id": "id", "owner_name": "name"}}}}))
    with TinyServer({"GET /users": users}) as server:
        source = rest_crm_source(str(spec), base_url=server.url, api_key="k3y")
        assert list(source.resources["users_api"]) == [{"id": 1, "name": "A"}]
        assert len(server.seen) == 3  # BUSY twice, then the page
        with pytest.raises(Exception) as raised:
            list(rest_crm_source(str(spec), base_url=server.url, api_key="k3y").resources["users_api"])
        assert len(server.seen) == 3 + 3  # the first try and 2 retries
    assert one_line(raised.value) == (
        "keyed kept answering errorCode BUSY (slow down) for /users after 2 retries 0.01 s apart: run again later, "
        "or raise errors.retry_attempts / retry_seconds in the CRM's YAML file")


def test_oauth_refresh_token_renewed_on_401(tmp_path: Path) -> None:
    issued: list[str] = []

    def token(seen: Seen) -> tuple[int, dict[str, str], Any]:
        assert seen.form["grant_type"] == ["refresh_token"] and seen.form["refresh_token"] == ["r1"]
        issued.append(f"t{len(issued) + 1}")
        return 200, {}, {"access_token": issued[-1], "expires_in": 3600}

    def deals(seen: Seen) -> tuple[int, dict[str, str], Any]:  # the first token has expired already
        if seen.headers.get("Authorization") != "Bearer t2":
            return 401, {}, {"message": "expired"}
        return 200, {}, [{"id": "X1", "title": "renewed"}]

    spec = tmp_path / "crms" / "oauthcrm.yaml"
    spec.parent.mkdir()
    spec.write_text(yaml.safe_dump({
        "base_url": "http://127.0.0.1",
        "settings": {name: {"secret": True} for name in ("client_id", "client_secret", "refresh_token")},
        "auth": {"type": "oauth_refresh", "token_url": "/oauth/token", "client_id": "client_id",
                 "client_secret": "client_secret", "refresh_token": "refresh_token"},
        "endpoints": {"deals": {"table": "deals", "path": "/deals", "columns": {"deal_id": "id",
                                                                                 "deal_name": "title"}}}}))
    with TinyServer({"POST /oauth/token": token, "GET /deals": deals}) as server:
        source = rest_crm_source(str(spec), base_url=server.url, client_id="c", client_secret="s",
                                 refresh_token="r1")
        assert list(source.resources["deals_api"]) == [{"id": "X1", "title": "renewed"}]
        assert server.paths() == ["POST /oauth/token", "GET /deals", "POST /oauth/token", "GET /deals"]


def one_line(error: BaseException) -> str:
    found = next(e for e in exception_chain(error) if isinstance(e, FunnelhouseError))
    assert "\n" not in str(found)
    return str(found)


GOOD = yaml.safe_load(SPEC)


def _broken(change: Any) -> dict[str, Any]:
    document = yaml.safe_load(SPEC)
    change(document)
    return document


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["endpoints"]["deals"].update(paging={"type": "pages"}),
     "endpoints.deals.paging.type: expected one of cursor, offset, page_number, link_header, json_link; got 'pages'"),
    (lambda d: d.pop("base_url"), "base_url: missing; this key is required"),
    (lambda d: d["endpoints"]["users"].update(method="PUT"), "endpoints.users.method: expected one of GET, POST; "
                                                              "got 'PUT'"),
    (lambda d: d["endpoints"]["users"]["columns"].update(owner_title="title"),
     "endpoints.users.columns.owner_title: not a column of owners; expected one of owner_id, owner_name, email, "
     "team_name, is_active"),
    (lambda d: d["endpoints"]["users"]["columns"].pop("owner_id"),
     "endpoints.users.columns.owner_id: missing; the key of owners must be mapped"),
    (lambda d: d["endpoints"]["deals"]["columns"].update(created_at={"path": "created_at", "format": "unix"}),
     "endpoints.deals.columns.created_at.format: expected one of epoch_ms, epoch_s, iso, date; got 'unix'"),
    (lambda d: d["endpoints"]["deals"].update(paging={"type": "offset", "limit": 100}),
     "endpoints.deals.paging: expected exactly one of offset_param, offset_body_path"),
    (lambda d: d["endpoints"]["deals"].update(paging={"type": "offset", "limit": 0, "offset_param": "o",
                                                      "limit_param": "l"}),
     "endpoints.deals.paging.limit: expected a number greater than 0; got 0"),
    (lambda d: d.update(auth={"type": "bearer", "token": "my-token-123"}),
     "auth.token: 'my-token-123' is not a secret setting of this file: declare it under settings with secret: true"),
    (lambda d: d["endpoints"]["deals"]["params"].update(key="{api_key}"),
     "endpoints.deals.params.key: {api_key} names no setting of this file (settings: api_token)"),
    (lambda d: d["endpoints"]["deals"]["columns"]["stage"].update(labels="stage_names"),
     "endpoints.deals.columns.stage.labels: 'stage_names' names no option set under options (stages)"),
    (lambda d: d["settings"].update(api_token={"secret": True, "default": "abc"}),
     "settings.api_token: a secret has no default in the file: set it in .dlt/secrets.toml or its env var"),
    (lambda d: d["endpoints"]["users"].update(paging={"rel": "next"}),
     "endpoints.users.paging.type: missing; expected one of cursor, offset, page_number, link_header, json_link"),
    (lambda d: d["endpoints"]["users"].update(table="user"),
     "endpoints.users.table: expected one of deals, deal_stage_changes, owners, companies, people; got 'user'"),
    (lambda d: d["endpoints"]["users"]["columns"].update(owner_id=7),
     "endpoints.users.columns.owner_id: expected a field path (text) or a mapping with path or value; got 7"),
    (lambda d: d["endpoints"]["deals"].update(pagination={"type": "cursor"}),
     "endpoints.deals.pagination: unknown key (misspelt, or not a key here)"),
])
def test_a_yaml_error_is_one_line_naming_file_key_and_expectation(tmp_path: Path, change: Any, message: str) -> None:
    path = tmp_path / "crms" / "acme.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(_broken(change)), encoding="utf-8")
    with pytest.raises(FunnelhouseError) as raised:
        load_spec(path)
    assert str(raised.value) == f"crms/acme.yaml: {message}"


def test_invalid_yaml_and_a_broken_file_in_the_registry(tmp_path: Path) -> None:
    path = tmp_path / "crms" / "acme.yaml"
    path.parent.mkdir()
    path.write_text("base_url: http://x\nendpoints: [\n", encoding="utf-8")
    entry = yaml_connector(path)
    assert (entry.name, entry.dataset) == ("acme", "raw_acme")
    with pytest.raises(FunnelhouseError) as raised:
        entry.source_function()
    assert str(raised.value).startswith(f"{path} line 3: not valid YAML (")
    path.write_text(yaml.safe_dump({**GOOD, "name": "Acme CRM"}), encoding="utf-8")
    with pytest.raises(FunnelhouseError) as raised:
        load_spec(path)
    assert str(raised.value) == ("crms/acme.yaml: name: expected lower case letters, digits and _ (it names the "
                                 "dataset raw_<name>); got 'Acme CRM'")


def test_a_missing_secret_is_one_line(tinycrm: Path) -> None:
    with pytest.raises(FunnelhouseError) as raised:
        rest_crm_source(str(tinycrm), base_url="http://127.0.0.1:9")
    assert str(raised.value) == ("tinycrm: api_token is not configured: set api_token under [sources.tinycrm] in "
                                 ".dlt/secrets.toml or FUNNELHOUSE_TINYCRM_API_TOKEN")


def test_column_mapping_units_times_maps_and_labels() -> None:
    """values.row_reader on single records: 万 -> 元, epoch seconds, an epoch-ms day in the CRM's time zone, a
    naive ISO time in the CRM's time zone, a value map without `otherwise`, labels of a static option set."""
    from zoneinfo import ZoneInfo

    from ingestion.common.parsing import FieldError
    from ingestion.rest_crm.spec import Column
    from ingestion.rest_crm.values import row_reader

    columns = {"deal_id": Column(path="id"), "amount": Column(path="wan", multiply=Decimal(10000)),
               "created_at": Column(path="created", format="epoch_s"),
               "expected_close_on": Column(path="close", format="epoch_ms"),
               "modified_at": Column(path="changed"), "currency_code": Column(value="CNY"),
               "is_deleted": Column(path="status", map={"void": True, "ok": False}),
               "stage": Column(path="stage", labels="stages.stage")}
    to_row = row_reader("deals", columns, lambda name: {"1": "验证客户"}, ZoneInfo("Asia/Shanghai"), "acme", "deals")
    row = to_row({"id": 9, "wan": "35.5", "created": 1772323200, "close": 1777478400000,
                  "changed": "2026-03-05 14:02:11", "status": "void", "stage": "1"})
    assert {key: value for key, value in row.items() if value is not None} == {
        "deal_id": "9", "amount": Decimal("355000"), "created_at": utc("2026-03-01T00:00:00Z"),
        "expected_close_on": date(2026, 4, 30),  # 2026-04-29T16:00:00Z is the 30th in China
        "modified_at": utc("2026-03-05T06:02:11Z"), "currency_code": "CNY", "is_deleted": True, "stage": "验证客户"}
    with pytest.raises(FieldError) as raised:
        to_row({"id": 9, "status": "gone"})
    assert raised.value.reason == "status value 'gone' is not one of void, ok the file maps; add it under map"
    with pytest.raises(FieldError) as raised:
        to_row({"id": 9, "stage": "7"})
    assert raised.value.reason == ("stage value '7' is not an option of stages.stage in acme's option labels; add "
                                   "the option in acme, or report the record")


def test_a_spec_is_read_once_per_version_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "crms" / "acme.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    first = load_spec(path)
    assert load_spec(path) is first  # Dagster's definitions ask once per table: one parse
    path.write_text(yaml.safe_dump({**GOOD, "name": "acme_cn"}), encoding="utf-8")  # edited: read again
    assert (first.name, load_spec(path).name) == ("acme", "acme_cn")
    path.unlink()
    with pytest.raises(FunnelhouseError) as raised:
        load_spec(path)
    assert str(raised.value) == f"{path}: YAML CRM file not found"
