"""Every shape of sales export mapped by mapping.yaml alone, through the real ingestion and dbt build: the Olist
marketing funnel (leads + closed deals keyed by the lead id), Maven's CRM sales opportunities (a current-state export
with per-stage dates and lookup sheets) and mixed currencies; data from 2017 builds with no calendar setting."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from ingestion.common.reconcile import Reconciliation
from ingestion.pipeline import make_pipeline, run_source
from ingestion.spreadsheets import entity_tables, spreadsheets_source
from ingestion.spreadsheets.mapping import DEFAULT_MAPPING
from support.inputs import copy_project
from support.warehouse import query

FIXTURES = Path(__file__).parent / "fixtures" / "spreadsheets"


def header_example(first_entry: str) -> str:
    """The YAML of the worked example in mapping.yaml's header comment that starts with entry `first_entry`."""
    lines = DEFAULT_MAPPING.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"# {first_entry}:")
    block = []
    for line in lines[start:]:
        if line.strip() == "#":
            break
        block.append(re.sub(r"^# ?", "", line))
    return "\n".join(block) + "\n"


def ingest(root: Path, files: Path, mapping_yaml: str) -> SimpleNamespace:
    """Load the files of `files` as `mapping_yaml` says into root/warehouse.duckdb."""
    drop = root / "inputs" / "spreadsheets"
    shutil.copytree(files, drop, ignore=shutil.ignore_patterns("README.md"))
    mapping = root / "mapping.yaml"
    mapping.write_text(mapping_yaml, encoding="utf-8")
    recon = Reconciliation("spreadsheets")
    warehouse = root / "warehouse.duckdb"
    pipeline = make_pipeline("spreadsheets", warehouse=warehouse, pipelines_dir=root / "pipelines")
    source = spreadsheets_source(drop_dir=str(drop), mapping_path=str(mapping), reconciliation=recon)
    summary = run_source("spreadsheets", source, recon, entity_tables(mapping), pipeline)
    return SimpleNamespace(root=root, warehouse=warehouse, summary=summary, recon=recon)


REPORTING_CURRENCY_ENV = "FUNNELHOUSE_REPORTING_CURRENCY"


def build(loaded: SimpleNamespace, as_of: str, reporting_currency: str = "CNY") -> SimpleNamespace:
    """dbt build a copy of the project on the loaded warehouse as of `as_of`."""
    from funnelhouse.transform import DBT_PROJECT_DIR, dbt_build

    project = copy_project(DBT_PROJECT_DIR, loaded.root / "dbt_project")
    previous = os.environ.get(REPORTING_CURRENCY_ENV)
    os.environ[REPORTING_CURRENCY_ENV] = reporting_currency  # the setting a user gives (dbt_project.yml reads it)
    try:
        loaded.statuses = dbt_build(loaded.warehouse, as_of=as_of, project_dir=project)
    finally:
        if previous is None:
            os.environ.pop(REPORTING_CURRENCY_ENV, None)
        else:
            os.environ[REPORTING_CURRENCY_ENV] = previous
    return loaded


# --- A. Olist marketing funnel: leads + closed deals keyed by mql_id -------------------------------------------------

@pytest.fixture(scope="module")
def olist(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    mapping = header_example("olist_leads") + header_example("olist_lead_profile")
    loaded = ingest(tmp_path_factory.mktemp("olist"), FIXTURES / "olist", mapping)
    return build(loaded, as_of="2018-12-31")


def test_the_olist_example_takes_under_20_lines_of_yaml() -> None:
    example = header_example("olist_leads")
    assert len(example.splitlines()) == 17


def test_olist_files_load_in_the_canonical_tables(olist: SimpleNamespace) -> None:
    tallies = {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined) for t in olist.summary.tallies}
    assert tallies == {
        "olist_marketing_qualified_leads_dataset.csv": (12, 12, 0),
        "olist_closed_deals_dataset.csv": (5, 5, 0),
        "olist_lead_profile.csv": (4, 4, 0),
    }
    assert query(olist.warehouse, "select source_name, count(*) from raw_spreadsheets.leads group by 1") == [
        ("olist_leads", 12)
    ]
    assert query(
        olist.warehouse, "select source_name, stage_raw, stage_code, count(*) from raw_spreadsheets.deals group by all"
    ) == [("olist_closed_deals", "Won", "won", 5)]  # constants: {stage: Won} through the stage map


def test_closed_deals_are_won_deals_of_their_lead(olist: SimpleNamespace) -> None:
    rows = query(
        olist.warehouse,
        """
        select leads.channel_code, cast(deals.created_at as date), deals.closed_date, deals.cycle_days
        from marts.fct_deals as deals
        inner join marts.fct_leads as leads on deals.person_id = leads.person_id
        where deals.is_won and deals.source = 'olist_closed_deals'
        order by 2
        """,
    )
    # created on the lead's first_contact_date, won on won_date (fixture README lists the pairs)
    assert [(r[0], str(r[1]), str(r[2])) for r in rows] == [
        ("website_organic", "2018-01-10", "2018-02-09"),
        ("paid_search", "2018-01-20", "2018-01-30"),
        ("website_organic", "2018-02-03", "2018-03-05"),
        ("paid_search", "2018-02-08", "2018-04-09"),
        ("referral", "2018-03-02", "2018-03-12"),
    ]


def test_days_from_first_contact_to_won(olist: SimpleNamespace) -> None:
    rows = query(
        olist.warehouse,
        "select created_date, won_date, days_to_won from marts.fct_leads where won_date is not null order by 1",
    )
    # Jan 10 -> Feb 9: 30; Jan 20 -> Jan 30: 10; Feb 3 -> Mar 5: 30 (Feb 2018 has 28 days); Feb 8 -> Apr 9:
    # 20 + 31 + 9 = 60; Mar 2 -> Mar 12: 10
    assert [(str(a), str(b), c) for a, b, c in rows] == [
        ("2018-01-10", "2018-02-09", 30),
        ("2018-01-20", "2018-01-30", 10),
        ("2018-02-03", "2018-03-05", 30),
        ("2018-02-08", "2018-04-09", 60),
        ("2018-03-02", "2018-03-12", 10),
    ]
    assert query(olist.warehouse, "select count(*), count(won_date) from marts.fct_leads") == [(12, 5)]


def test_lead_to_won_conversion_by_channel(olist: SimpleNamespace) -> None:
    rows = query(
        olist.warehouse,
        """
        select channel_code, sum(leads), sum(won_leads), round(sum(won_leads) / sum(leads), 4)
        from marts.mart_channel_performance group by 1 having sum(leads) > 0 order by 1
        """,
    )
    # origin -> channel (channel_map, olist_origin): organic_search x3 + direct_traffic -> website_organic (4 leads,
    # won 1 and 5); paid_search 3, 6 both won; referral 9 won; email, social, display one lead each, not won;
    # unknown + other_publicities -> other (2 leads)
    assert [(c, int(n), int(w), float(r)) for c, n, w, r in rows] == [
        ("display_ads", 1, 0, 0.0),
        ("email_marketing", 1, 0, 0.0),
        ("other", 2, 0, 0.0),
        ("paid_search", 2, 2, 1.0),
        ("referral", 1, 1, 1.0),
        ("social_media", 1, 0, 0.0),
        ("website_organic", 4, 2, 0.5),
    ]


def test_lead_to_won_conversion_by_month(olist: SimpleNamespace) -> None:
    rows = query(
        olist.warehouse,
        """
        select month_start, sum(leads), sum(won_leads), sum(deals_created), sum(deals_won)
        from marts.mart_channel_performance group by 1 having sum(leads) + sum(deals_won) > 0 order by 1
        """,
    )
    # leads by first-contact month: Jan 1-4 (won 1, 3), Feb 5-8 (won 5, 6), Mar 9-12 (won 9); deals are created
    # in their lead's month and won in the month of won_date: Jan 30, Feb 9, Mar 5 + Mar 12, Apr 9
    assert [(str(m), int(a), int(b), int(c), int(d)) for m, a, b, c, d in rows] == [
        ("2018-01-01", 4, 2, 2, 1),
        ("2018-02-01", 4, 2, 2, 1),
        ("2018-03-01", 4, 1, 1, 2),
        ("2018-04-01", 0, 0, 0, 1),
    ]
    cohorts = query(
        olist.warehouse,
        """
        select cohort_month, leads, deals, reached_to_date from marts.mart_cohort_conversion
        where stage_code = 'won' and leads > 0 order by 1
        """,
    )
    assert [(str(m), a, b, c) for m, a, b, c in cohorts] == [
        ("2018-01-01", 4, 2, 2),
        ("2018-02-01", 4, 2, 2),
        ("2018-03-01", 4, 1, 1),
    ]


def test_an_attribute_file_completes_the_leads_without_adding_any(olist: SimpleNamespace) -> None:
    rows = query(
        olist.warehouse,
        """
        select leads.created_date, leads.segment, leads.lead_type, leads.declared_revenue, owners.owner_name
        from marts.fct_leads as leads
        left join marts.dim_owner as owners on leads.owner_id = owners.owner_id
        where leads.segment is not null order by 1
        """,
    )
    # olist_lead_profile.csv: leads 1, 2, 3 (sdr_id = md5 of sdr-a, sdr-a, sdr-b); its 4th row names no lead
    assert [(str(d), seg, lt, float(rev)) for d, seg, lt, rev, _ in rows] == [
        ("2018-01-10", "pet", "online_medium", 0.0),
        ("2018-01-15", "home_decor", "online_small", 20000.0),
        ("2018-01-20", "car_accessories", "industry", 150000.0),
    ]
    assert rows[0][4] == rows[1][4] != rows[2][4]  # the owner (sdr) of leads 1 and 2 is one person
    assert query(olist.warehouse, "select count(*) from marts.fct_leads") == [(12,)]


# --- B. Maven CRM sales opportunities: a current-state export with per-stage date columns --------------------------

@pytest.fixture(scope="module")
def maven(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("maven")
    loaded = ingest(root, FIXTURES / "maven", header_example("maven_pipeline") + header_example("maven_teams"))
    return build(loaded, as_of="2017-12-31")


def test_stage_counts_include_deals_without_dates(maven: SimpleNamespace) -> None:
    rows = query(
        maven.warehouse,
        "select current_stage_code, count(*), sum(case when is_undated then 1 else 0 end) from marts.fct_deals "
        "group by 1 order by 1",
    )
    # sales_pipeline.csv: 3 Engaging, 2 Prospecting (no date at all), 3 Lost, 4 Won; nothing left out
    assert rows == [("interest", 3, 0), ("lead", 2, 2), ("lost", 3, 0), ("won", 4, 0)]
    undated = query(
        maven.warehouse,
        "select cast(created_at as date), days_in_current_stage, cycle_days from marts.fct_deals where is_undated",
    )
    assert [(str(a), b, c) for a, b, c in undated] == [("2017-12-31", None, None)] * 2  # as of the as-of day
    assert maven.statuses["test.funnelhouse.warn_deals_without_dates"] == "warn"  # 2 deals left out of time
    cohorts = query(maven.warehouse, "select sum(deals) from marts.mart_cohort_conversion where stage_code = 'lead'")
    assert cohorts == [(10,)]  # the 2 undated deals have no cohort month


def test_lost_deals_with_an_engage_date_were_lost_after_engaging(maven: SimpleNamespace) -> None:
    rows = query(
        maven.warehouse,
        "select source_deal_id, lost_from_stage_code, cast(closed_at as date) from marts.fct_deals where is_lost "
        "order by 1",
    )
    assert [(a, b, str(c)) for a, b, c in rows] == [
        ("J8F6T5XM", "interest", "2017-09-12"),
        ("K9P2D7SF", "interest", "2017-06-30"),
        ("R2M9C6DC", "interest", "2017-03-20"),
    ]
    events = query(
        maven.warehouse,
        "select to_stage_code, cast(changed_at as date) from marts.fct_deal_stage_events "
        "where deal_id = 'maven_pipeline:R2M9C6DC' order by event_sequence",
    )
    assert [(a, str(b)) for a, b in events] == [("interest", "2017-03-01"), ("lost", "2017-03-20")]


def test_open_pipeline_is_valued_at_list_price_in_usd(maven: SimpleNamespace) -> None:
    rows = query(
        maven.warehouse,
        """
        select source_deal_id, product_series, currency_code, amount_original, is_amount_list_price, amount_cny
        from marts.fct_deals where is_open order by 1
        """,
    )
    # open deals have no close_value: valued at the list price of products.csv (USD, fx_rates USD 7.2)
    assert [(a, b, c, float(d), e, float(f)) for a, b, c, d, e, f in rows] == [
        ("D4A1U3WL", "Orbit", "USD", 60.0, True, 432.0),
        ("F5J3N8QD", "Nova", "USD", 4800.0, True, 34560.0),
        ("M6L4Y9TH", "Nova", "USD", 4800.0, True, 34560.0),
        ("T3G8H1RG", "Orbit", "USD", 3400.0, True, 24480.0),
        ("W7C5E2UJ", "Orbit", "USD", 60.0, True, 432.0),
    ]
    won = query(
        maven.warehouse,
        "select sum(amount_original), sum(amount_cny), min(currency_code), max(currency_code), "
        "bool_or(is_amount_list_price), min(reporting_currency), sum(amount_reporting) "
        "from marts.fct_deals where is_won",
    )
    # close_value 520 + 4700 + 3350 + 505 = 9075 USD = 65340 CNY; the reporting currency defaults to CNY
    assert [tuple(float(v) if hasattr(v, "as_tuple") else v for v in row) for row in won] == [
        (9075.0, 65340.0, "USD", "USD", False, "CNY", 65340.0)
    ]


def test_owner_performance_by_manager_and_office(maven: SimpleNamespace) -> None:
    rows = query(
        maven.warehouse,
        """
        select owners.manager_name, owners.office, count(*), sum(case when deals.is_won then 1 else 0 end),
            sum(case when deals.is_won then deals.amount_original else 0 end)
        from marts.fct_deals as deals
        inner join marts.dim_owner as owners on deals.owner_id = owners.owner_id
        group by 1, 2 order by 1
        """,
    )
    # sales_teams.csv: Ada, Ben -> Lena Ortiz, Central; Cara, Dev -> Omar Reyes, West.
    # Central: Q4T7 won 520, H8Z1 won 4700, R2M9 lost, F5J3, W7C5, N2S8 won 505 -> 6 deals, 3 won, 5725
    # West: X1B6 won 3350, K9P2 lost, T3G8, M6L4, D4A1, J8F6 lost -> 6 deals, 1 won, 3350
    assert [(a, b, c, int(d), float(e)) for a, b, c, d, e in rows] == [
        ("Lena Ortiz", "Central", 6, 3, 5725.0),
        ("Omar Reyes", "West", 6, 1, 3350.0),
    ]
    teams = query(
        maven.warehouse,
        "select performance_key, won_deals, win_rate, open_pipeline_reporting from marts.mart_owner_performance "
        "where performance_level = 'team' order by 1",
    )
    # the office is the team. Central: 3 won of 4 closed, open F5J3 4800 + W7C5 60 USD at list price = 4860 USD =
    # 34992 CNY; West: 1 of 3, open T3G8 3400 + M6L4 4800 + D4A1 60 = 8260 USD = 59472 CNY
    assert [(a, int(b), float(c), float(d)) for a, b, c, d in teams] == [
        ("Central", 3, 0.75, 34992.0),
        ("West", 1, 0.3333, 59472.0),
    ]
    managers = query(
        maven.warehouse,
        "select performance_key, deals_total, won_deals, win_rate, won_amount_reporting, team_name "
        "from marts.mart_owner_performance where performance_level = 'manager' order by 1",
    )
    # the hand counts above by manager: Lena Ortiz 6 deals, 3 won of 4 closed, 5725 USD = 41220 CNY (USD 7.2);
    # Omar Reyes 6 deals, 1 won of 3 closed (K9P2, J8F6 lost), 3350 USD = 24120 CNY; a manager row has no team
    assert [(a, b, int(c), float(d), float(e), f) for a, b, c, d, e, f in managers] == [
        ("Lena Ortiz", 6, 3, 0.75, 41220.0, None),
        ("Omar Reyes", 6, 1, 0.3333, 24120.0, None),
    ]
    levels = query(
        maven.warehouse,
        "select performance_level, count(*) from marts.mart_owner_performance group by 1 order by 1",
    )
    # every office is the owner's team (regional_office), so no office level repeating the team level;
    # 4 owners, 2 teams, 2 managers, 1 overall
    assert levels == [("manager", 2), ("overall", 1), ("owner", 4), ("team", 2)]


def test_conversion_by_industry(maven: SimpleNamespace) -> None:
    rows = query(
        maven.warehouse,
        """
        select companies.industry_code, count(*), sum(case when deals.is_won then 1 else 0 end)
        from marts.fct_deals as deals
        left join marts.dim_company as companies on deals.company_id = companies.company_id
        group by 1 order by 1
        """,
    )
    # accounts.csv sectors: Acme Widgets, Dunmore Labs software (Q4T7 won, F5J3, D4A1, X1B6 won, W7C5);
    # Bluebird Retail retail (H8Z1 won, T3G8, N2S8 won); Cedar Health medical -> healthcare (3 lost);
    # M6L4Y9TH has no account
    assert [(a, b, int(c)) for a, b, c in rows] == [
        ("healthcare", 3, 0), ("retail", 3, 2), ("software", 5, 2), (None, 1, 0),
    ]
    funnel = query(
        maven.warehouse,
        """
        select segment_value, reached, won_later from marts.mart_funnel_conversion
        where segment_type = 'industry' and stage_code = 'lead' order by 1
        """,
    )
    # (the deal without account counts under industry other)
    assert [(a, int(b), int(c)) for a, b, c in funnel] == [
        ("healthcare", 3, 0), ("other", 1, 0), ("retail", 3, 2), ("software", 5, 2),
    ]


# --- currency: USD and CNY in one warehouse, one reporting currency ----------------------------------------------

MIXED_CURRENCY_MAPPING = """
mixed_deals:
  files: ["mixed_deals.csv"]
  entity: deals
  stage_source: maven
  currency: USD
  fields:
    deal_id:          {required: true, aliases: [Deal]}
    stage:            {required: true, aliases: [Stage]}
    stage_entered_on: {required: true, aliases: [Closed]}
    amount:           {aliases: [Amount]}
    currency:         {aliases: [Currency]}
    lost_from_stage:  {aliases: [Lost From]}
"""


def test_amounts_keep_their_currency_and_roll_up_to_the_reporting_currency(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "mixed_deals.csv").write_text(
        "Deal,Stage,Closed,Amount,Currency,Lost From\n"
        "D1,Won,2017-03-01,100,USD,\n"
        "D2,Won,2017-03-02,1000,CNY,\n"
        "D3,Won,2017-03-03,50,,\n"
        "L1,Lost,2017-04-01,0,,Engaging\n"
        "L2,Lost,2017-04-02,0,,\n",
        encoding="utf-8",
    )
    loaded = build(ingest(tmp_path / "w", files, MIXED_CURRENCY_MAPPING), as_of="2017-12-31", reporting_currency="USD")
    rows = query(
        loaded.warehouse,
        "select source_deal_id, amount_original, currency_code, amount_cny, amount_reporting, reporting_currency "
        "from marts.fct_deals where is_won order by 1",
    )
    # a Currency cell wins over the entry's currency: USD; fx_rates: USD 7.2 CNY. Reporting in USD (the var):
    # 1000 CNY / 7.2 = 138.89 USD
    assert [(a, float(b), c, float(d), float(e), f) for a, b, c, d, e, f in rows] == [
        ("D1", 100.0, "USD", 720.0, 100.0, "USD"),
        ("D2", 1000.0, "CNY", 1000.0, 138.89, "USD"),
        ("D3", 50.0, "USD", 360.0, 50.0, "USD"),
    ]
    # a mapping may name the stage a lost deal was lost from (Lost From -> lost_from_stage); without it, a deal
    # that only says Lost was lost from the first stage
    lost = query(
        loaded.warehouse,
        "select source_deal_id, lost_from_stage_code, stage_changes from marts.fct_deals where is_lost order by 1",
    )
    assert lost == [("L1", "interest", 3), ("L2", "lead", 2)]  # L1: lead, interest (Engaging), lost


# --- mapping mistakes of the new settings: one-line errors naming the entry and the key ----------------------------

@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "  files: [a.csv]\n  entity: deals\n  stage_source: maven\n  constants: {stage: Closing}\n"
            "  fields: {deal_id: {required: true, aliases: [Id]}}\n",
            "mapping.yaml, entry bad: constant stage: unknown stage 'Closing' for stage_source maven "
            "(add it to dbt_project/seeds/funnel/funnel_stage_map.csv)",
        ),
        (
            "  files: [a.csv]\n  entity: deals\n  stage_sources: maven\n  fields: {deal_id: {aliases: [Id]}}\n",
            "mapping.yaml, entry bad: unknown setting 'stage_sources' (known: amount_unit, channel_field, constants, "
            "currency, date_order, decimal_separator, delimiter, encoding, entity, fields, files, from_file_name, "
            "header_min_matches, header_search_rows, key, of, sheets, stage_source, table)",
        ),
        (
            "  files: [a.csv]\n  entity: lead_attributes\n  of: nowhere\n"
            "  fields: {lead_id: {required: true, aliases: [Id]}}\n",
            "mapping.yaml, entry bad: `of: nowhere` must name an entry with entity leads and no `table`",
        ),
        (
            "  files: [a.csv]\n  entity: deals\n  stage_source: maven\n"
            "  fields: {deal_id: {required: true, aliases: [Id]}, engaged: {aliases: [E], enters: Engaging}}\n",
            "mapping.yaml, entry bad: field engaged: `enters` applies to date fields only",
        ),
        (
            "  files: [a.csv]\n  entity: deals\n  currency: dollars\n  fields: {deal_id: {required: true, aliases: [Id]}}\n",
            "mapping.yaml, entry bad: `currency` must be a three-letter ISO code such as USD or CNY, not 'dollars'",
        ),
    ],
)
def test_mistakes_in_the_new_settings_are_one_line_errors(tmp_path: Path, entry: str, message: str) -> None:
    from ingestion.spreadsheets import MappingError, load_mapping

    path = tmp_path / "mapping.yaml"
    path.write_text("bad:\n" + entry, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value) == message


# --- the same marts on Postgres ------------------------------------------------------------------------------------

@pytest.mark.parametrize("example", ["olist", "maven"])
def test_the_examples_build_the_same_marts_on_postgres(
    example: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import secrets

    import test_postgres as reference
    from funnelhouse import settings
    from support.postgres import PostgresUnavailable, find_bindir, throwaway_postgres

    if find_bindir() is None:
        reference._unavailable("the PostgreSQL server is not installed: apt-get install postgresql")
    duck = request.getfixturevalue(example)
    mapping = {
        "olist": header_example("olist_leads") + header_example("olist_lead_profile"),
        "maven": header_example("maven_pipeline") + header_example("maven_teams"),
    }[example]
    as_of = {"olist": "2018-12-31", "maven": "2017-12-31"}[example]
    try:
        with throwaway_postgres() as server:
            monkeypatch.setenv(settings.WAREHOUSE_KIND_ENV, "postgres")
            monkeypatch.setenv(settings.POSTGRES_DSN_ENV, server.dsn)
            monkeypatch.setenv("FUNNELHOUSE_BI_PASSWORD", secrets.token_urlsafe(12))
            for name in ("FUNNELHOUSE_WAREHOUSE", "FUNNELHOUSE_PIPELINES_DIR", "PGHOST", "PGPORT", "PGUSER",
                         "PGPASSWORD", "PGDATABASE"):
                monkeypatch.delenv(name, raising=False)
            build(ingest(tmp_path, FIXTURES / example, mapping), as_of=as_of)
            on_postgres = reference.postgres_marts(server)
    except PostgresUnavailable as error:
        reference._unavailable(str(error))
    on_duckdb = reference.duckdb_marts(duck.warehouse)
    assert sorted(on_postgres) == sorted(on_duckdb)
    differences = [
        reference._difference(table, on_duckdb[table], on_postgres[table])
        for table in on_duckdb
        if on_duckdb[table] != on_postgres[table]
    ]
    assert differences == [], "\n".join(differences)
