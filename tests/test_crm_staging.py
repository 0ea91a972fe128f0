"""dbt staging of raw_salesforce and raw_pipedrive on the vendor-shaped records of crm_raw_fixture (loaded by a real
dlt pipeline): stage histories, deleted flags, amounts, converted leads, protected emails and phones, quarantine and
reconciliation; and the same models, empty, on a warehouse without either CRM."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from crm_raw_fixture import (
    OPP_BAD,
    OPP_DELETED,
    OPP_LOST,
    OPP_REOPENED,
    OPP_WON,
    PIPEDRIVE_PERSONS,
    PIPEDRIVE_USERS,
    SALESFORCE_CONTACTS,
    SALESFORCE_LEADS,
    SALESFORCE_USERS,
    load_crm_raw,
)
from ingestion.common.shaping import stable_number
from support.inputs import copy_project
from support.crm_builds import differing_rows, postgres_build
from support.warehouse import query

AS_OF = "2026-03-31"
PII_SALT = "crm-staging-test-salt"  # the DuckDB and the Postgres builds hash alike
SELECT = "path:models/staging/salesforce path:models/staging/pipedrive"
MODELS = [
    "stg_salesforce__opportunities", "stg_salesforce__opportunity_history", "stg_salesforce__opportunity_stages",
    "stg_salesforce__leads", "stg_salesforce__accounts", "stg_salesforce__contacts", "stg_salesforce__users",
    "stg_salesforce__quarantine", "stg_salesforce__reconciliation",
    "stg_pipedrive__deals", "stg_pipedrive__deal_stage_changes", "stg_pipedrive__stages",
    "stg_pipedrive__pipelines", "stg_pipedrive__persons", "stg_pipedrive__organizations", "stg_pipedrive__users",
    "stg_pipedrive__quarantine", "stg_pipedrive__reconciliation",
]


def _row_counts(warehouse: Path) -> dict[str, int]:
    return {model: query(warehouse, f"select count(*) from staging.{model}")[0][0] for model in MODELS}


@pytest.fixture(scope="module")
def crm_build(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A warehouse without either CRM built first (the staging models exist and are empty), then raw_salesforce and
    raw_pipedrive loaded into it and the whole project built on it (no other source)."""
    from funnelhouse.transform import DBT_PROJECT_DIR, dbt_build

    root = tmp_path_factory.mktemp("crm_staging")
    warehouse = root / "warehouse.duckdb"
    project = copy_project(DBT_PROJECT_DIR, root / "dbt_project")
    mp = pytest.MonkeyPatch()
    mp.setenv("FUNNELHOUSE_DATA_DIR", str(root / "data"))
    mp.setenv("FUNNELHOUSE_PII_SALT", PII_SALT)
    try:
        empty_statuses = dbt_build(warehouse, as_of=AS_OF, select=SELECT, project_dir=project)
        empty_counts = _row_counts(warehouse)
        summaries = load_crm_raw(warehouse, root / "pipelines")
        statuses = dbt_build(warehouse, as_of=AS_OF, project_dir=project)  # the whole project: deals reach marts
    finally:
        mp.undo()
    return SimpleNamespace(warehouse=warehouse, empty_statuses=empty_statuses, empty_counts=empty_counts,
                           summaries=summaries, statuses=statuses)


def test_without_either_crm_the_staging_models_build_empty_and_their_tests_pass(crm_build) -> None:
    # 18 views, 49 data tests; every one passes on empty models
    assert sorted(set(crm_build.empty_statuses.values())) == ["pass", "success"]
    assert sum(1 for node in crm_build.empty_statuses if node.startswith("model.")) == 18
    assert crm_build.empty_counts == {model: 0 for model in MODELS}


def test_the_build_on_both_crms_passes_every_test(crm_build) -> None:
    # the whole project on the two CRMs alone: every model builds, every test passes (no warning either: the
    # deals' owners are the CRMs' users, in int_owners through int_salesforce__owners / int_pipedrive__owners)
    assert sorted(set(crm_build.statuses.values())) == ["pass", "success"]
    crm_tests = [node for node in crm_build.statuses
                 if node.startswith("test.") and ("_stg_salesforce__" in node or "_stg_pipedrive__" in node)]
    assert len(crm_tests) == 49
    assert _row_counts(crm_build.warehouse) == {
        "stg_salesforce__opportunities": 4,  # 5 read, 1 quarantined
        "stg_salesforce__opportunity_history": 16,  # 19 history rows, 3 change only Amount or CloseDate
        "stg_salesforce__opportunity_stages": 10,
        "stg_salesforce__leads": 3,
        "stg_salesforce__accounts": 2,
        "stg_salesforce__contacts": 2,
        "stg_salesforce__users": 2,
        "stg_salesforce__quarantine": 1,
        "stg_salesforce__reconciliation": 7,  # one row per object
        "stg_pipedrive__deals": 4,  # 5 read, 1 quarantined
        "stg_pipedrive__deal_stage_changes": 9,  # 2 + 3 + 3 + 1 moves; status and value changes are not moves
        "stg_pipedrive__stages": 5,
        "stg_pipedrive__pipelines": 1,
        "stg_pipedrive__persons": 2,
        "stg_pipedrive__organizations": 2,
        "stg_pipedrive__users": 2,
        "stg_pipedrive__quarantine": 1,
        "stg_pipedrive__reconciliation": 7,  # one row per raw table
    }


def test_without_zoho_or_a_yaml_crm_their_models_build_empty(crm_build) -> None:
    # the whole project built on Salesforce and Pipedrive alone: raw_zoho is absent and no schema holds a crm_spec
    # table, so the Zoho and YAML CRM (rest_crm) models exist with their columns and no rows
    models = [f"staging.stg_{source}__{table}" for source, tables in (
        ("zoho", ("deals", "deal_stage_history", "stages", "deleted_records", "users", "leads", "contacts",
                  "accounts", "quarantine", "reconciliation")),
        ("rest_crm", ("deals", "deal_stage_changes", "owners", "companies", "people", "quarantine",
                      "reconciliation"))) for table in tables]
    models += [f"intermediate.int_{source}__{entity}" for source in ("zoho", "rest_crm")
               for entity in ("deals", "deal_stage_changes", "owners", "people", "companies")]
    assert {model: query(crm_build.warehouse, f"select count(*) from {model}")[0][0] for model in models} == {
        model: 0 for model in models}
    assert [name for (name,) in query(crm_build.warehouse, """
        select column_name from information_schema.columns
        where table_schema = 'staging' and table_name = 'stg_rest_crm__deals' order by ordinal_position""")][:4] == [
        "source_name", "deal_id", "deal_name", "pipeline_id"]


def test_salesforce_stage_history_keeps_moves_skips_and_backward_moves_and_drops_amount_only_rows(crm_build) -> None:
    rows = query(crm_build.warehouse, """
        select opportunity_id, change_order, from_stage_name, stage_name, cast(changed_at as varchar), is_deleted
        from staging.stg_salesforce__opportunity_history order by opportunity_id, change_order""")
    moves: dict[str, list[tuple]] = {}
    for opportunity, order, before, after, at, deleted in rows:
        moves.setdefault(opportunity, []).append((order, before, after, at[:10], deleted))
    assert moves == {
        # 8 history rows: the Amount-only row of 01-26 and the CloseDate-only row of 02-20 are not moves; Needs
        # Analysis -> Proposal/Price Quote skips three stages
        OPP_WON: [(1, None, "Prospecting", "2026-01-12", False),
                  (2, "Prospecting", "Qualification", "2026-01-19", False),
                  (3, "Qualification", "Needs Analysis", "2026-02-02", False),
                  (4, "Needs Analysis", "Proposal/Price Quote", "2026-02-16", False),
                  (5, "Proposal/Price Quote", "Negotiation/Review", "2026-03-05", False),
                  (6, "Negotiation/Review", "Closed Won", "2026-03-20", False)],
        # 6 rows: the Amount-only row of 02-10 dropped, the move back to Qualification kept
        OPP_LOST: [(1, None, "Prospecting", "2026-01-20", False),
                   (2, "Prospecting", "Qualification", "2026-01-27", False),
                   (3, "Qualification", "Needs Analysis", "2026-02-03", False),
                   (4, "Needs Analysis", "Qualification", "2026-02-17", False),
                   (5, "Qualification", "Closed Lost", "2026-03-02", False)],
        # reopened: out of Closed Lost into Qualification
        OPP_REOPENED: [(1, None, "Prospecting", "2026-02-01", False),
                       (2, "Prospecting", "Closed Lost", "2026-02-15", False),
                       (3, "Closed Lost", "Qualification", "2026-03-10", False)],
        OPP_DELETED: [(1, None, "Prospecting", "2026-02-10", True),
                      (2, "Prospecting", "Qualification", "2026-02-20", True)],
    }


def test_salesforce_opportunities_leads_and_users(crm_build) -> None:
    assert query(crm_build.warehouse, """
        select opportunity_id, stage_name, amount, currency_code, is_closed, is_won, is_deleted, loss_reason,
            close_date
        from staging.stg_salesforce__opportunities order by opportunity_id""") == [
        (OPP_WON, "Closed Won", Decimal("120000"), "USD", True, True, False, None, date(2026, 3, 20)),
        (OPP_LOST, "Closed Lost", Decimal("18500.5"), "USD", True, False, False, "Price", date(2026, 3, 2)),
        (OPP_REOPENED, "Qualification", Decimal("40000"), "USD", False, False, False, None, date(2026, 6, 30)),
        (OPP_DELETED, "Qualification", Decimal("9000"), "USD", False, False, True, None, date(2026, 5, 31)),
    ]
    assert query(crm_build.warehouse, """
        select lead_status, is_converted, cast(converted_on as varchar), converted_opportunity_id
        from staging.stg_salesforce__leads order by lead_id""") == [
        ("Closed - Converted", True, "2026-01-12", OPP_WON),
        ("Working - Contacted", False, None, None),
        ("Closed - Not Converted", False, None, None),
    ]
    # the manager of Mike Ross is Sarah Connor; the role ids come through
    assert query(crm_build.warehouse, """
        select users.user_name, managers.user_name, users.user_role_id
        from staging.stg_salesforce__users as users
        left join staging.stg_salesforce__users as managers on users.manager_id = managers.user_id
        order by users.user_id""") == [("Sarah Connor", None, "00E000000000001AAA"),
                                       ("Mike Ross", "Sarah Connor", "00E000000000002AAA")]
    assert query(crm_build.warehouse, """
        select stage_name, sort_order, is_closed, is_won, default_probability
        from staging.stg_salesforce__opportunity_stages where sort_order in (1, 9, 10) order by sort_order""") == [
        ("Prospecting", 1, False, False, Decimal("10")), ("Closed Won", 9, True, True, Decimal("100")),
        ("Closed Lost", 10, True, False, Decimal("0"))]


def test_pipedrive_deals_and_their_stage_moves(crm_build) -> None:
    assert query(crm_build.warehouse, """
        select deal_id, deal_status, amount, currency_code, is_deleted, cast(won_at as varchar),
            cast(lost_at as varchar), lost_reason, stage_id
        from staging.stg_pipedrive__deals order by deal_id""") == [
        (1, "open", Decimal("15000"), "EUR", False, None, None, None, 3),
        (2, "won", Decimal("42000.5"), "EUR", False, "2026-03-12 16:00:00", None, None, 5),
        (3, "lost", Decimal("8000"), "EUR", False, None, "2026-02-25 11:00:00", "Too expensive", 2),
        (4, "open", Decimal("5000"), "EUR", True, None, None, None, 2),
    ]
    rows = query(crm_build.warehouse, """
        select deal_id, change_order, from_stage_id, to_stage_id from staging.stg_pipedrive__deal_stage_changes
        order by deal_id, change_order""")
    assert rows == [
        (1, 1, 1, 2), (1, 2, 2, 3),
        (2, 1, 1, 3), (2, 2, 3, 4), (2, 3, 4, 5),  # 1 -> 3 skips Contact Made
        (3, 1, 1, 2), (3, 2, 2, 3), (3, 3, 3, 2),  # 3 -> 2 goes back
        (4, 1, 1, 2),  # the deleted deal's move
    ]
    assert query(crm_build.warehouse, """
        select stage_name, order_nr, deal_probability from staging.stg_pipedrive__stages order by order_nr""") == [
        ("Qualified", 1, Decimal("10")), ("Contact Made", 2, Decimal("20")), ("Demo Scheduled", 3, Decimal("40")),
        ("Proposal Made", 4, Decimal("60")), ("Negotiations Started", 5, Decimal("80"))]


def test_primary_emails_and_phones_are_normalised_and_protected(crm_build) -> None:
    assert query(crm_build.warehouse, """
        select person_id, email, phone, email_domain, phone_masked, length(email_hash), length(phone_hash)
        from staging.stg_pipedrive__persons order by person_id""") == [
        # the primary entry of each list: the first for Klaus, the second email for Giulia
        (301, "klaus.mueller@mueller-maschinenbau.example", "+49301234567", "mueller-maschinenbau.example",
         "+49301****4567", 32, 32),
        (302, "giulia.bianchi@rossi.example", "+390212345678", "rossi.example", "+39021****5678", 32, 32),
    ]
    assert query(crm_build.warehouse, """
        select contact_id, email, phone_digits, phone, phone_masked from staging.stg_salesforce__contacts
        order by contact_id""") == [
        ("003000000000001AAA", "jane.doe@globex.example", "+14155550134", "+14155550134", "+14155****0134"),
        # (512) 555-0199 has no country code: phone_e164 cannot place it
        ("003000000000002AAA", "peter.gibbons@initech.example", "5125550199", None, None),
    ]


def test_salesforce_and_pipedrive_deals_reach_fct_deals_and_the_funnel(crm_build) -> None:
    # deleted deals (an opportunity with IsDeleted, a Pipedrive deal with is_deleted) are archived: 3 + 3 of 4 + 4;
    # USD at 7.2 and EUR at 7.8 CNY (seeds/funnel/fx_rates.csv). stage_changes: Pipedrive's opening entry into the
    # stage the deal was created in, its changelog moves, the won / lost status; Salesforce's stage rows
    assert query(crm_build.warehouse, """
        select deal_id, current_stage_code, currency_code, amount_original, amount_cny, stage_changes,
            backward_moves, stages_skipped, loss_reason_code, lost_from_stage_code
        from marts.fct_deals order by deal_id""") == [
        ("pipedrive:1", "need", "EUR", Decimal("15000"), Decimal("117000"), 3, 0, 0, None, None),
        ("pipedrive:2", "won", "EUR", Decimal("42000.5"), Decimal("327603.9"), 5, 0, 1, None, None),  # skips interest
        ("pipedrive:3", "lost", "EUR", Decimal("8000"), Decimal("62400"), 5, 1, 0, "price", "interest"),
        (f"salesforce:{OPP_WON}", "won", "USD", Decimal("120000"), Decimal("864000"), 6, 0, 0, None, None),
        (f"salesforce:{OPP_LOST}", "lost", "USD", Decimal("18500.5"), Decimal("133203.6"), 5, 1, 0, "price",
         "interest"),
        (f"salesforce:{OPP_REOPENED}", "interest", "USD", Decimal("40000"), Decimal("288000"), 3, 0, 0, None, None),
    ]
    # reached counts a skipped stage as passed; lost: the lost deals and the reopened opportunity, lost from lead
    assert query(crm_build.warehouse, """
        select stage_code, reached, entered, lost_here from marts.mart_funnel_conversion
        where segment_type = 'overall' order by stage_order""") == [
        ("lead", 6, 6, 1), ("interest", 6, 5, 2), ("need", 5, 5, 0), ("proposal", 2, 2, 0),
        ("negotiation", 2, 2, 0), ("won", 2, 2, 0), ("lost", 3, 3, 0),
    ]


def _clear_values() -> set[str]:
    """Every email and phone digit string of the fixture's records, as staging would write them."""
    emails = [r.get("Email") for r in SALESFORCE_CONTACTS + SALESFORCE_LEADS + SALESFORCE_USERS]
    emails += [r["Username"] for r in SALESFORCE_USERS] + [u["email"] for u in PIPEDRIVE_USERS]
    emails += [e["value"] for p in PIPEDRIVE_PERSONS for e in p["emails"]]
    phones = [r.get("Phone") for r in SALESFORCE_CONTACTS + SALESFORCE_LEADS + SALESFORCE_USERS]
    phones += [u["phone"] for u in PIPEDRIVE_USERS] + [e["value"] for p in PIPEDRIVE_PERSONS for e in p["phones"]]
    digits = {"".join(c for c in phone if c.isdigit()) for phone in phones if phone}
    return {email.strip().lower() for email in emails if email} | digits


def test_clear_emails_and_phones_stay_in_the_email_and_phone_columns(crm_build) -> None:
    clear = _clear_values()
    assert len(clear) == 17  # 11 distinct emails (the usernames are the users' emails) + 6 distinct phones
    tables = [(schema, table) for schema, table in query(crm_build.warehouse, """
        select table_schema, table_name from information_schema.tables
        where table_schema in ('staging', 'intermediate', 'marts')""")
              if schema != "staging" or table in MODELS]
    found = set()
    for schema, table in tables:
        if not query(crm_build.warehouse, f"select count(*) from {schema}.{table}")[0][0]:
            continue  # an empty model (Zoho's, the YAML CRMs') holds nothing in clear
        columns = [name for (name,) in query(crm_build.warehouse, f"""
            select column_name from information_schema.columns
            where table_schema = '{schema}' and table_name = '{table}'""")]
        for column in columns:
            values = query(crm_build.warehouse, f'select distinct cast("{column}" as varchar) from {schema}.{table}')
            for (value,) in values:
                text = (value or "").lower()
                squeezed = "".join(c for c in text if c.isdigit())
                if any(item in text or (item.isdigit() and item == squeezed) for item in clear):
                    found.add((table, column))
    # the clear values are in the three columns of the five people models, nowhere else (hashes, masks, domains)
    assert found == {
        (model, column)
        for model in ("stg_salesforce__leads", "stg_salesforce__contacts", "stg_salesforce__users",
                      "stg_pipedrive__persons", "stg_pipedrive__users")
        for column in ("email", "phone_digits", "phone")
    }


def test_quarantine_and_reconciliation(crm_build) -> None:
    assert query(crm_build.warehouse, """
        select source_name, input_name, input_row, entity, field, reason from staging.stg_salesforce__quarantine
        union all
        select source_name, input_name, input_row, entity, field, reason from staging.stg_pipedrive__quarantine
        order by 1""") == [
        ("pipedrive", "pipedrive/deals", 5, "deals", "value",
         "value is not a number: '1.500,00'; correct the value in Pipedrive"),
        ("salesforce", "salesforce/opportunities", stable_number(OPP_BAD), "opportunities", "Amount",
         "Amount is not a number: '$12,000'; correct the value in Salesforce"),
    ]
    assert query(crm_build.warehouse, """
        select input_name, rows_read, rows_loaded, rows_quarantined, status
        from staging.stg_salesforce__reconciliation order by input_name""") == [
        ("salesforce/accounts", 2, 2, 0, "loaded"), ("salesforce/contacts", 2, 2, 0, "loaded"),
        ("salesforce/leads", 3, 3, 0, "loaded"), ("salesforce/opportunities", 5, 4, 1, "loaded"),
        ("salesforce/opportunity_history", 19, 19, 0, "loaded"),
        ("salesforce/opportunity_stages", 10, 10, 0, "loaded"), ("salesforce/users", 2, 2, 0, "loaded"),
    ]
    assert query(crm_build.warehouse, """
        select sum(rows_read), sum(rows_loaded), sum(rows_quarantined)
        from staging.stg_pipedrive__reconciliation""") == [
        (26, 25, 1)]  # deals 5 (1 quarantined), moves 9, pipelines 1, stages 5, persons 2, organizations 2, users 2


# ---------------------------------------------------------------- the same models on Postgres
@pytest.fixture(scope="module")
def postgres_crm_build(crm_build, tmp_path_factory: pytest.TempPathFactory):
    """The fixture's raw tables loaded into a throwaway Postgres and the staging models built there."""
    from funnelhouse.transform import DBT_PROJECT_DIR

    root = tmp_path_factory.mktemp("crm_staging_postgres")
    project = copy_project(DBT_PROJECT_DIR, root / "dbt_project")
    yield from postgres_build(root, load_crm_raw, project, SELECT, AS_OF, PII_SALT)


def test_postgres_builds_the_same_staging_rows(crm_build, postgres_crm_build) -> None:
    assert sorted(set(postgres_crm_build.statuses.values())) == ["pass", "success"]
    assert differing_rows(crm_build.warehouse, postgres_crm_build.server, [("staging", m) for m in MODELS]) == {}
