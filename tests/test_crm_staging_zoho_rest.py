"""dbt staging of raw_zoho and of every YAML CRM (one generic model set, stg_rest_crm__* / int_rest_crm__*) on the
records of crm_raw_fixture_2 (loaded by real dlt pipelines): stage moves (backward, skip), deleted flags, 中文 stage
labels mapped to funnel stages, every source's deals in fct_deals, one identity per person across a Zoho lead, a
fxiaoke contact and an acme contact; the same rows on Postgres. (Without any of them the models build empty:
tests/test_crm_staging.py.)"""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from crm_raw_fixture_2 import ACME_STAGE_MAP, D_BAD, D_DELETED, D_LOST, D_WON, L1, L2, load_crm_raw_2
from ingestion.common.shaping import stable_number
from support.inputs import copy_project
from support.crm_builds import differing_rows, postgres_build
from support.warehouse import query

AS_OF = "2026-03-31"
PII_SALT = "crm-staging-zoho-rest-salt"  # the DuckDB and the Postgres builds hash alike
SELECT = ("path:models/staging/zoho path:models/staging/rest_crm path:models/intermediate/zoho "
          "path:models/intermediate/rest_crm")
STAGING = [
    "stg_zoho__deals", "stg_zoho__deal_stage_history", "stg_zoho__stages", "stg_zoho__deleted_records",
    "stg_zoho__users", "stg_zoho__leads", "stg_zoho__contacts", "stg_zoho__accounts", "stg_zoho__quarantine",
    "stg_zoho__reconciliation",
    "stg_rest_crm__deals", "stg_rest_crm__deal_stage_changes", "stg_rest_crm__owners", "stg_rest_crm__companies",
    "stg_rest_crm__people", "stg_rest_crm__quarantine", "stg_rest_crm__reconciliation",
]
INTERMEDIATE = [f"int_{source}__{entity}" for source in ("zoho", "rest_crm")
                for entity in ("deals", "deal_stage_changes", "owners", "people", "companies")]


def _counts(warehouse, schema: str, models: list[str]) -> dict[str, int]:
    return {model: query(warehouse, f"select count(*) from {schema}.{model}")[0][0] for model in models}


def _project(root):
    """A copy of the project whose funnel_stage_map also maps the acme CRM's stage labels (a team adding a YAML CRM
    adds such rows)."""
    from funnelhouse.transform import DBT_PROJECT_DIR

    project = copy_project(DBT_PROJECT_DIR, root / "dbt_project")
    with open(project / "seeds" / "funnel" / "funnel_stage_map.csv", "a", encoding="utf-8") as seed:
        seed.writelines(f"acme,{stage},{code},default\n" for stage, code in ACME_STAGE_MAP)
    return project


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """raw_zoho, raw_fxiaoke and raw_acme loaded into a new warehouse and the whole project built on it (no other
    source). The same models on a warehouse without Zoho or any YAML CRM build empty: tests/test_crm_staging.py."""
    from funnelhouse.transform import dbt_build

    root = tmp_path_factory.mktemp("crm_staging_zoho_rest")
    warehouse = root / "warehouse.duckdb"
    project = _project(root)
    mp = pytest.MonkeyPatch()
    mp.setenv("FUNNELHOUSE_DATA_DIR", str(root / "data"))
    mp.setenv("FUNNELHOUSE_PII_SALT", PII_SALT)
    try:
        summaries = load_crm_raw_2(warehouse, root / "pipelines")
        statuses = dbt_build(warehouse, as_of=AS_OF, project_dir=project)
    finally:
        mp.undo()
    return SimpleNamespace(warehouse=warehouse, summaries=summaries, statuses=statuses)


def test_the_whole_project_builds_on_zoho_and_two_yaml_crms(build) -> None:
    # every test passes; the one warning: acme's deal names owner u-1 and acme maps no owners table
    assert {node: status for node, status in build.statuses.items() if status not in ("pass", "success")} == {
        "test.funnelhouse.warn_deals_with_owner_not_in_owners": "warn"}
    assert _counts(build.warehouse, "staging", STAGING) == {
        "stg_zoho__deals": 3,  # 4 read, 1 quarantined (Amount '12k')
        "stg_zoho__deal_stage_history": 10,  # 11 rows, the won deal's Amount-only row is not a move
        "stg_zoho__stages": 9,
        "stg_zoho__deleted_records": 2,  # a deal and a lead
        "stg_zoho__users": 2,
        "stg_zoho__leads": 2,
        "stg_zoho__contacts": 1,
        "stg_zoho__accounts": 2,
        "stg_zoho__quarantine": 1,
        "stg_zoho__reconciliation": 8,  # one row per raw table
        "stg_rest_crm__deals": 4,  # fxiaoke 3 (4 read, 1 quarantined) + acme 1
        "stg_rest_crm__deal_stage_changes": 14,  # fxiaoke 7 + 3 + 2, acme 2
        "stg_rest_crm__owners": 1,  # fxiaoke's; acme has no owners table
        "stg_rest_crm__companies": 1,  # fxiaoke's; acme has no companies table
        "stg_rest_crm__people": 3,  # fxiaoke a contact and a lead, acme a contact
        "stg_rest_crm__quarantine": 1,
        "stg_rest_crm__reconciliation": 8,  # fxiaoke 5 tables, acme 3
    }


def test_zoho_stage_history_keeps_skips_and_backward_moves(build) -> None:
    rows = query(build.warehouse, """
        select deal_id, change_order, from_stage_name, stage_name, cast(changed_at as varchar)
        from staging.stg_zoho__deal_stage_history order by deal_id, change_order""")
    assert rows == [
        # Qualification -> Proposal/Price Quote skips Needs Analysis; the Amount-only row of 09-10 is dropped
        (D_WON, 1, None, "Qualification", "2025-09-01 16:00:00"),
        (D_WON, 2, "Qualification", "Proposal/Price Quote", "2025-10-01 16:00:00"),
        (D_WON, 3, "Proposal/Price Quote", "Closed Won", "2025-11-21 01:00:00"),  # 17:00 -08:00
        (D_LOST, 1, None, "Qualification", "2025-09-05 04:30:00"),  # 10:00 +05:30
        (D_LOST, 2, "Qualification", "Needs Analysis", "2025-09-20 04:30:00"),
        (D_LOST, 3, "Needs Analysis", "Proposal/Price Quote", "2025-10-10 04:30:00"),
        (D_LOST, 4, "Proposal/Price Quote", "Needs Analysis", "2025-10-30 04:30:00"),  # back
        (D_LOST, 5, "Needs Analysis", "Closed Lost", "2025-11-25 12:30:00"),
        (D_DELETED, 1, None, "Qualification", "2025-10-01 17:00:00"),
        (D_DELETED, 2, "Qualification", "Needs Analysis", "2025-10-10 17:00:00"),
    ]


def test_zoho_deals_leads_and_deleted_records(build) -> None:
    assert query(build.warehouse, """
        select deal_id, stage_name, amount, currency_code, loss_reason, lead_source, is_deleted,
            cast(deleted_at as varchar)
        from staging.stg_zoho__deals order by deal_id""") == [
        (D_WON, "Closed Won", Decimal("48000"), "USD", None, "Web Download", False, None),
        (D_LOST, "Closed Lost", Decimal("9000.5"), "USD", "Lost to Competitor", "Employee Referral", False, None),
        (D_DELETED, "Needs Analysis", Decimal("3000"), "USD", None, "Cold Call", True, "2025-11-21 03:45:00"),
    ]
    assert query(build.warehouse, """
        select lead_id, is_converted, cast(converted_at as varchar), converted_deal_id, is_deleted, email, phone
        from staging.stg_zoho__leads order by lead_id""") == [
        (L1, True, "2025-09-01 16:00:00", D_WON, False, "wei.zhang@huaxin.example", "+8613800138000"),
        (L2, False, None, None, True, None, None),
    ]
    # the deleted deal is archived, so it stays out of the marts
    assert query(build.warehouse, """
        select deal_id, exclusion_reason from intermediate.int_deals where exclusion_reason is not null
        order by deal_id""") == [("fxiaoke:FD3", "archived"), (f"zoho:{D_DELETED}", "archived")]


def test_yaml_crm_rows_carry_their_crm_name_and_chinese_stages_map_to_funnel_stages(build) -> None:
    assert query(build.warehouse, """
        select source_name, deal_id, stage_label, amount, currency_code, is_deleted from staging.stg_rest_crm__deals
        order by source_name, deal_id""") == [
        ("acme", "D-100", "Demo", Decimal("20000"), "EUR", False),  # currency eur upper-cased
        ("fxiaoke", "FD1", "赢单", Decimal("350000"), "CNY", False),
        ("fxiaoke", "FD2", "输单", Decimal("120000"), "CNY", False),
        ("fxiaoke", "FD3", "无效", Decimal("80000"), "CNY", True),
    ]
    # each 中文 label of fxiaoke's moves through funnel_stage_map (source fxiaoke): FD1 goes back from 方案/报价 to
    # 需求确定, FD2 skips 需求确定 and 方案/报价
    assert query(build.warehouse, """
        select events.deal_id, events.to_stage_code, count(*)
        from intermediate.int_deal_stage_events as events
        where events.deal_id in ('fxiaoke:FD1', 'fxiaoke:FD2')
        group by 1, 2 order by 1, 2""") == [
        ("fxiaoke:FD1", "interest", 1), ("fxiaoke:FD1", "need", 2), ("fxiaoke:FD1", "negotiation", 1),
        ("fxiaoke:FD1", "proposal", 2), ("fxiaoke:FD1", "won", 1),
        ("fxiaoke:FD2", "interest", 1), ("fxiaoke:FD2", "lost", 1), ("fxiaoke:FD2", "negotiation", 1),
    ]


def test_deals_of_every_source_reach_fct_deals(build) -> None:
    # amounts in CNY at USD 7.2, EUR 7.8 (seeds/funnel/fx_rates.csv); stages_skipped counts the funnel stages of the
    # pipeline passed over (Zoho's won deal: need and negotiation; FD2: need and proposal); channels from Zoho's
    # Lead_Source and the YAML CRMs' labels (field channel); loss reasons from Reason_For_Loss__s and 中文 text
    assert query(build.warehouse, """
        select deal_id, source, current_stage_code, amount_original, amount_cny, stage_changes, backward_moves,
            stages_skipped, loss_reason_code, lost_from_stage_code, channel_code, owner_id
        from marts.fct_deals order by deal_id""") == [
        ("acme:D-100", "acme", "interest", Decimal("20000"), Decimal("156000"), 2, 0, 0, None, None,
         "website_organic", "unknown"),
        ("fxiaoke:FD1", "fxiaoke", "won", Decimal("350000"), Decimal("350000"), 7, 1, 0, None, None, "referral",
         "fxiaoke:FSUID_1"),
        ("fxiaoke:FD2", "fxiaoke", "lost", Decimal("120000"), Decimal("120000"), 3, 0, 2, "price", "negotiation",
         "trade_show", "fxiaoke:FSUID_1"),
        (f"zoho:{D_WON}", "zoho", "won", Decimal("48000"), Decimal("345600"), 3, 0, 2, None, None,
         "website_organic", "zoho:5725767000000411001"),
        (f"zoho:{D_LOST}", "zoho", "lost", Decimal("9000.5"), Decimal("64803.6"), 5, 1, 0, "competitor", "need",
         "referral", "zoho:5725767000000411001"),
    ]
    assert query(build.warehouse, """
        select source_name, count(*) from intermediate.int_deals_unioned group by 1 order by 1""") == [
        ("acme", 1), ("fxiaoke", 3), ("zoho", 3)]


def test_one_identity_per_person_across_zoho_fxiaoke_and_acme(build) -> None:
    rows = query(build.warehouse, """
        select record_source, record_id, person_id, matched_by from intermediate.int_person_identities
        order by record_source, record_id""")
    by_record = {(source, record): (person, matched) for source, record, person, matched in rows}
    assert len(rows) == 6  # Zoho 2 leads + 1 contact, fxiaoke a contact and a lead, acme a contact
    shared = {by_record[key][0] for key in (("zoho_lead", L1), ("fxiaoke_contact", "FP1"), ("acme_contact", "P-7"))}
    assert len(shared) == 1  # the Zoho lead's email is the fxiaoke contact's; its phone the acme contact's
    assert [by_record[key][1] for key in (("zoho_lead", L1), ("fxiaoke_contact", "FP1"), ("acme_contact", "P-7"))] \
        == ["email", "email", "phone_to_email"]
    assert len({person for person, _ in by_record.values()}) == 4  # the shared one, Kris, 李娜, the deleted lead


def test_quarantine_and_reconciliation(build) -> None:
    assert query(build.warehouse, """
        select source_name, input_name, input_row, field, reason from staging.stg_zoho__quarantine
        union all
        select source_name, input_name, input_row, field, reason from staging.stg_rest_crm__quarantine
        order by 1""") == [
        ("fxiaoke", "fxiaoke/deals", stable_number("FD4"), "amount",
         "amount is not a number: '三十万'; correct the value in fxiaoke"),
        ("zoho", "zoho/deals", stable_number(D_BAD), "Amount",
         "Amount is not a number: '12k'; correct the value in Zoho CRM"),
    ]
    assert query(build.warehouse, """
        select source_name, sum(rows_read), sum(rows_loaded), sum(rows_quarantined)
        from staging.stg_rest_crm__reconciliation group by 1 order by 1""") == [
        ("acme", 4, 4, 0),  # people 1, deals 1, moves 2
        ("fxiaoke", 20, 19, 1),  # owners 1, companies 1, people 2, deals 4 (1 quarantined), moves 12
    ]


def test_clear_emails_and_phones_stay_in_staging(build) -> None:
    # the fixture's people's emails and phone digits, looked for in every text column of staging, intermediate and
    # the marts (spaces, dashes and + removed)
    clear = ("wei.zhang@huaxin.example", "kris@chemel.example", "13800138000", "6055550144", "13900139000")
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in query(build.warehouse, """
            select table_schema, table_name, column_name from information_schema.columns
            where table_schema in ('staging', 'intermediate', 'marts') and data_type = 'VARCHAR'"""):
        columns.setdefault((schema, table), []).append(column)
    found = set()
    for (schema, table), names in sorted(columns.items()):
        squeezed = [f"replace(replace(replace(lower({name}), '+', ''), ' ', ''), '-', '')" for name in names]
        hits = query(build.warehouse, f"""
            select {', '.join(f"count(case when {value} similar to '.*({'|'.join(clear)}).*' then 1 end)"
                              for value in squeezed)}
            from {schema}.{table}""")[0]
        found |= {(table, name) for name, count in zip(names, hits) if count}
    # in the clear columns of the three people models, nowhere else (hashes, masks and domains elsewhere)
    assert found == {(model, column) for model in ("stg_zoho__leads", "stg_zoho__contacts", "stg_rest_crm__people")
                     for column in ("email", "phone_digits", "phone")}


# ---------------------------------------------------------------- the same models on Postgres
@pytest.fixture(scope="module")
def postgres_crm_build(build, tmp_path_factory: pytest.TempPathFactory):
    """The fixture's raw tables loaded into a throwaway Postgres and the Zoho and YAML CRM models built there."""
    root = tmp_path_factory.mktemp("crm_staging_zoho_rest_postgres")
    yield from postgres_build(root, load_crm_raw_2, _project(root), SELECT, AS_OF, PII_SALT)


def test_postgres_builds_the_same_rows(build, postgres_crm_build) -> None:
    assert sorted(set(postgres_crm_build.statuses.values())) == ["pass", "success"]
    relations = [("staging", model) for model in STAGING] + [("intermediate", model) for model in INTERMEDIATE]
    assert differing_rows(build.warehouse, postgres_crm_build.server, relations) == {}
