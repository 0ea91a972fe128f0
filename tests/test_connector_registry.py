"""The connector registry (ingestion.connectors): one list read by ingest, Dagster and the CLI; a new API source
is one entry, its settings said once (skip line, env vars), its rows shaped by the shared loop."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pytest

from funnelhouse.cli import SourceChoice
from ingestion import connectors
from ingestion.common.parsing import FieldError
from ingestion.common.reconcile import Reconciliation
from ingestion.common.shaping import shape_page
from ingestion.connectors import (
    CONNECTORS, SOURCES, Connector, Setting, connector, explain_missing_setting, settings_from_env,
)
from ingestion.hubspot.errors import BASE_URL_SETTING, TOKEN_SETTING
from ingestion.run import IngestOptions, ingest_source, skip_reason

ENTITY_TABLES = {"deals"}
DEALS = [{"id": 7, "value": "10.5"}, {"id": 8, "value": "lots"}, {"id": 9, "value": "3"}]
SCHEMA = pa.schema([("id", pa.int64()), ("value", pa.float64())])


def _deal_row(deal: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"id": deal["id"], "value": float(deal["value"])}
    except ValueError:
        raise FieldError("value", deal["value"], f"value is not a number: {deal['value']!r}") from None


@dlt.source(name="fakecrm")
def fakecrm_source(reconciliation: Reconciliation, base_url: str = dlt.config.value,
                   api_token: str = dlt.secrets.value) -> Any:
    """A stand-in CRM source: three deals, one with a bad value, shaped by the shared loop."""
    tally = reconciliation.tally("fakecrm/deals", "api")

    @dlt.resource(name="deals", primary_key="id", write_disposition="merge")
    def deals() -> Any:
        page, bad = shape_page(DEALS, _deal_row, tally, SCHEMA, "deals")
        yield from bad
        yield page

    return deals


FAKE = Connector("fakecrm", "api", __name__, "fakecrm_source",
                 settings=(Setting("base_url", env="FUNNELHOUSE_FAKECRM_BASE_URL"),
                           Setting("api_token", secret=True, env="FUNNELHOUSE_FAKECRM_TOKEN")),
                 describe_with={"base_url": "http://127.0.0.1", "api_token": "unused"})


@pytest.fixture
def with_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connectors.BY_NAME, "fakecrm", FAKE)
    for name in ("SOURCES__FAKECRM__BASE_URL", "SOURCES__FAKECRM__API_TOKEN", "SOURCES__HUBSPOT__BASE_URL",
                 "SOURCES__HUBSPOT__API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


def test_one_list_of_sources_read_by_ingest_dagster_and_the_cli() -> None:
    assert SOURCES == ("forms", "spreadsheets", "hubspot", "salesforce", "pipedrive", "zoho")
    assert [(c.name, c.kind, c.dataset) for c in CONNECTORS] == [
        ("forms", "files", "raw_forms"), ("spreadsheets", "files", "raw_spreadsheets"),
        ("hubspot", "api", "raw_hubspot"), ("salesforce", "api", "raw_salesforce"),
        ("pipedrive", "api", "raw_pipedrive"), ("zoho", "api", "raw_zoho")]
    assert [choice.value for choice in SourceChoice] == [
        "forms", "spreadsheets", "hubspot", "salesforce", "pipedrive", "zoho", "all"]
    hubspot = connector("hubspot")
    # the skip line and HubSpot's errors name the same places
    assert [setting.where("hubspot") for setting in hubspot.settings] == [BASE_URL_SETTING, TOKEN_SETTING]
    assert hubspot.entity_tables() == {"deals", "contacts", "companies", "owners"}
    with pytest.raises(ValueError,
                       match="unknown source 'nosuchcrm': one of forms, spreadsheets, hubspot, salesforce, "
                             "pipedrive, zoho"):
        connector("nosuchcrm")


def test_settings_come_from_env_and_options(with_fake: None) -> None:
    env = {"FUNNELHOUSE_HUBSPOT_TOKEN": "hs", "FUNNELHOUSE_FAKECRM_BASE_URL": "http://fake", "OTHER": "x"}
    assert settings_from_env(env) == {"hubspot": {"api_token": "hs"}}  # fakecrm is not in CONNECTORS
    options = IngestOptions(api_settings={"hubspot": {"api_token": "hs", "base_url": "http://env"}},
                            hubspot_base_url="http://option")
    assert connector("hubspot").given(options) == {"api_token": "hs", "base_url": "http://option"}


def test_a_new_api_source_is_one_entry(with_fake: None, tmp_path: Path) -> None:
    options = IngestOptions(inputs_dir=tmp_path / "inputs", warehouse=tmp_path / "w.duckdb",
                            pipelines_dir=tmp_path / "pipelines")
    assert skip_reason("fakecrm", options) == (
        "fakecrm: skipped — no base_url/api_token configured (set base_url under [sources.fakecrm] in "
        ".dlt/config.toml or FUNNELHOUSE_FAKECRM_BASE_URL; api_token under [sources.fakecrm] in .dlt/secrets.toml "
        "or FUNNELHOUSE_FAKECRM_TOKEN)")
    options.api_settings = {"fakecrm": {"base_url": "http://fake", "api_token": "t"}}
    assert skip_reason("fakecrm", options) == ""
    summary, errors = ingest_source("fakecrm", options)
    assert errors == []
    # 3 deals read: 7 and 9 loaded, 8 quarantined ("lots")
    assert [(t.input_name, t.rows_read, t.rows_loaded, t.rows_quarantined) for t in summary.tallies] == [
        ("fakecrm/deals", 3, 2, 1)]
    import duckdb

    with duckdb.connect(str(options.warehouse), read_only=True) as db:
        assert db.sql("select id, value from raw_fakecrm.deals order by id").fetchall() == [(7, 10.5), (9, 3.0)]
        assert db.sql("select row_number, field, reason from raw_fakecrm.quarantine").fetchall() == [
            (8, "value", "value is not a number: 'lots'")]


def test_a_missing_setting_is_explained_by_its_own_source(with_fake: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingestion.hubspot import hubspot_source

    def missing(build: Any) -> BaseException:
        with pytest.raises(Exception) as raised:
            build()
        return raised.value

    hubspot_error = missing(lambda: hubspot_source(base_url="http://127.0.0.1"))
    assert explain_missing_setting(hubspot_error) == (
        f"HubSpot API token is not configured: set {TOKEN_SETTING}")
    fake_error = missing(lambda: fakecrm_source(reconciliation=Reconciliation("fakecrm"), base_url="http://x"))
    # fakecrm's missing api_token is not HubSpot's: no HubSpot line for it (fakecrm has no `explain`)
    assert explain_missing_setting(fake_error) is None
    monkeypatch.setattr(connectors, "CONNECTORS", (*CONNECTORS, FAKE))
    assert FAKE.explain(fake_error) is None and connector("hubspot").explain(fake_error) is None
