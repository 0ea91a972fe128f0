"""The dbt project built on a small warehouse loaded from the committed fixtures through the real ingestion.

Fixtures, as of 2025-06-30 (the numbers below are counted by hand from these files):
  HubSpot (tests/fixtures/hubspot, served by the emulator): 12 deals. 40 and 99 are archived; 20, 52, 88 sit in a
    'partner' pipeline the funnel map does not know → left out. In the funnel: 5 won, 31 lost, 7, 11, 64, 77, 150 open.
    The default pipeline starts at appointmentscheduled = interest; decisionmakerboughtin and contractsent are both
    negotiation. Amounts are EUR (fx seed: 7.8).
  Spreadsheets (tests/fixtures/spreadsheets/drop): the English export keeps D-001 (won, history lead → need → won),
    D-002 (need; history starts with a move out of Lead) and D-005 (lost, no history, "Price too high"); the 华南
    tracker keeps 广州云帆 (需求确认 since 2024-03-05, 12 days before), 深圳星河 (商务谈判 since 2024-03-05, 3周) and
    上海云杉 (成交 on 2024-02-20, 2个月 before). Raw: 12 + 3 + 3 = 18 deals, 13 in fct_deals.
  Forms (tests/fixtures/forms): typeform tf1 (phone 13800138000, utm baidu) and tf3 share an email; the 广州云帆
    tracker contact has the same phone.
"""
from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.inputs import FIXTURE_AS_OF, copy_project

from funnelhouse.transform import dbt_build, funnel_summary, top_loss_reasons
from ingestion.common.errors import FunnelhouseError
from support.warehouse import query

AS_OF = FIXTURE_AS_OF


def edit_csv(path: Path, change) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def built(fixture_build: SimpleNamespace) -> SimpleNamespace:
    return fixture_build


def test_deals_in_the_funnel_are_raw_deals_minus_archived_and_unmapped(built: SimpleNamespace) -> None:
    assert query(built.warehouse, "select source, count(*) from marts.fct_deals group by 1 order by 1") == [
        ("export_en", 3), ("hubspot", 7), ("tracker_cn", 3),
    ]
    excluded = query(
        built.warehouse,
        "select deal_id, exclusion_reason from intermediate.int_deals where exclusion_reason is not null order by 1",
    )
    assert excluded == [
        ("hubspot:20", "unmapped_stage"), ("hubspot:40", "archived"), ("hubspot:52", "unmapped_stage"),
        ("hubspot:88", "unmapped_stage"), ("hubspot:99", "archived"),
    ]


def test_overall_funnel(built: SimpleNamespace) -> None:
    # entered: lead = 3 export + 3 tracker deals (HubSpot's pipeline starts at interest); interest = 5 HubSpot
    # (not 31, 64) + 3 tracker; need = 7, 11, 31 + D-001, D-002 + 3 tracker; proposal = 11, 64, 星河, 云杉;
    # negotiation = 5, 64, 77, 星河, 云杉; won = 5, D-001, 云杉; lost = 31, D-005. 13 deals in all.
    # furthest open or won stage: won 5, D-001, 云杉 (3); negotiation 64, 77, 星河 (3); proposal 11 (1);
    # need 7, 31, D-002, the third tracker deal (4); interest 150 (1); lead D-005 (1).
    # reached (that stage or later): lead 13, interest 12, need 11, proposal 7, negotiation 6, won 3; lost 2.
    # → next: 12/13 = 0.9231, 11/12 = 0.9167, 7/11 = 0.6364, 6/7 = 0.8571, 3/6 = 0.5.
    # from the top: 1, 0.9231, 0.8462, 0.5385, 0.4615, 0.2308, 0.1538.
    summary = [(s.stage_code, s.reached, s.entered, s.adjacent_conversion_rate, s.cumulative_conversion_rate)
               for s in funnel_summary(built.warehouse)]
    assert summary == [
        ("lead", 13, 6, 0.9231, 1.0),
        ("interest", 12, 8, 0.9167, 0.9231),
        ("need", 11, 8, 0.6364, 0.8462),
        ("proposal", 7, 4, 0.8571, 0.5385),
        ("negotiation", 6, 5, 0.5, 0.4615),
        ("won", 3, 3, None, 0.2308),
        ("lost", 2, 2, None, 0.1538),
    ]
    lost_here = query(
        built.warehouse,
        "select stage_code, lost_here from marts.mart_funnel_conversion "
        "where segment_type = 'overall' and lost_here > 0 order by stage_order",
    )
    assert lost_here == [("lead", 1), ("need", 1)]


def test_stage_events_count_skipped_stages_per_pipeline(built: SimpleNamespace) -> None:
    rows = query(
        built.warehouse,
        "select deal_id, from_stage_code, to_stage_code, direction, stages_skipped, is_inferred "
        "from marts.fct_deal_stage_events where deal_id in ('export_en:D-001', 'hubspot:5', 'hubspot:31') "
        "order by deal_id, event_sequence",
    )
    assert rows == [
        ("export_en:D-001", None, "lead", "entry", 0, False),
        ("export_en:D-001", "lead", "need", "forward", 1, False),  # Interested skipped
        ("export_en:D-001", "need", "won", "forward", 2, False),  # Proposal and Negotiation skipped
        ("hubspot:31", None, "need", "entry", 1, False),  # entered at qualifiedtobuy: interest skipped
        ("hubspot:31", "need", "lost", "lost", 0, False),
        ("hubspot:5", None, "interest", "entry", 0, False),  # the Sales Pipeline starts at interest
        ("hubspot:5", "interest", "negotiation", "forward", 2, False),  # contractsent: need, proposal skipped
        ("hubspot:5", "negotiation", "won", "forward", 0, False),
    ]


def test_stage_velocity(built: SimpleNamespace) -> None:
    rows = dict(
        (code, (measured, float(avg), float(median)))
        for code, measured, avg, median in query(
            built.warehouse, "select stage_code, deals_measured, avg_days, median_days from marts.mart_stage_velocity"
        )
    )
    # whole calendar days (date of exit − date of entry). interest: HubSpot 5 (01-02 09:00 → 02-01 11:00 = 30),
    # 7 (01-05 → 01-20 = 15), 11 (01-10 → 02-01 = 22), 77 (02-08 → 02-20 = 12) and the 云帆 tracker row (12 days
    # before need, 上一阶段停留时长); 150 is still there. avg 91 / 5 = 18.2, median of [12, 12, 15, 22, 30] = 15.
    assert rows["interest"] == (5, 18.2, 15.0)
    # won: D-001 2025-01-10 → 03-05 = 21 + 28 + 5 = 54, HubSpot 5 2024-01-02 → 02-20 = 49; the tracker's won deal
    # has no creation date and is not measured. avg = median = 51.5.
    assert rows["won"] == (2, 51.5, 51.5)


def test_stage_velocity_by_segment(built: SimpleNamespace) -> None:
    rows = query(
        built.warehouse,
        "select segment_type, segment_value, deals_in_segment, deals_measured, avg_days, median_days "
        "from marts.mart_stage_velocity_by_segment "
        "where (segment_type, stage_code) in (('channel', 'won'), ('team', 'interest'), ('owner', 'interest')) "
        "and deals_measured > 0 order by 1, 2",
    )
    assert [(t, v, in_segment, measured, float(avg), float(median))
            for t, v, in_segment, measured, avg, median in rows] == [
        # won cycle by channel: D-001 (Website → website_organic) 54; HubSpot 5 has no channel (other) 49
        ("channel", "other", 9, 1, 49.0, 49.0),
        ("channel", "website_organic", 2, 1, 54.0, 54.0),
        # interest by owner: Ada (101) owns 5 (30) and 11 (22); Grace (102) 7 (15) and 77 (12); 张伟 the tracker 12
        ("owner", "hubspot:101", 3, 2, 26.0, 26.0),
        ("owner", "hubspot:102", 3, 2, 13.5, 13.5),
        ("owner", "sheet:张伟", 1, 1, 12.0, 12.0),
        # team West Sales = Ada + Grace: [12, 15, 22, 30] avg 79 / 4 = 19.75, median (15 + 22) / 2 = 18.5
        ("team", "West Sales", 6, 4, 19.75, 18.5),
        ("team", "华南", 3, 1, 12.0, 12.0),
    ]
    # every segment type adds up to the overall deals: 13
    assert query(
        built.warehouse,
        "select segment_type, sum(deals_in_segment) from marts.mart_stage_velocity_by_segment "
        "where stage_code = 'won' group by 1 order by 1",
    ) == [("channel", 13), ("cohort_month", 13), ("overall", 13), ("owner", 13), ("team", 13)]


def test_stale_deals_as_of(built: SimpleNamespace) -> None:
    rows = query(
        built.warehouse,
        "select deal_id, current_stage_code, days_in_stage, days_over_threshold from marts.mart_stale_deals "
        "where current_stage_code = 'need' order by deal_id",
    )
    # 2024-01-20 → 2025-06-30 = 366 + 161 = 527 days; 2024-03-05 → 2025-06-30 = 482; 2025-03-05 → 2025-06-30 = 117
    tracker = query(built.warehouse, "select deal_id from marts.fct_deals where deal_name = '广州云帆科技有限公司'")[0][0]
    assert rows == sorted([
        ("export_en:D-002", "need", 117, 87),
        ("hubspot:7", "need", 527, 497),
        (tracker, "need", 482, 452),
    ])
    assert query(built.warehouse, "select count(*) from marts.mart_stale_deals") == [(8,)]  # every open deal


def test_forecast_falls_back_to_the_pooled_rate_and_decays_stale_deals(built: SimpleNamespace) -> None:
    """Closed by 2025-06-30: D-001, hubspot:5 and the 上海云杉 tracker deal won, D-005 and hubspot:31 lost → pooled
    (3 + 1) / (5 + 2) = 4/7 = 0.5714 (Beta(1, 1)). No stage has 5 closed visits (need 2, lead 2, negotiation 2 —
    both won, one-sided —, interest 1) → every open deal falls back to the pooled rate (the old rule gave 0.5714 …
    0.7143 by stage). Won-cycle p90: known cycles D-001 2025-01-10 → 03-05 = 54, hubspot:5 2024-01-02 → 02-20 = 49
    (the tracker's creation is inferred) → 49 + 0.9 × 5 = 53.5. D-002, created 2025-02-01, is 149 days old:
    0.5 ^ (95.5 / 53.5) = 0.290167 → 4/7 × 0.290167 = 0.165810. The others are 486 … 542 days old, past
    53.5 × (1 + 4.32) = 285 days where the decay reaches its floor 0.05 → 0.5714 × 0.05 = 0.0286."""
    rows = query(
        built.warehouse,
        "select deal_id, probability_basis, evidence_closed_count, pooled_win_rate, cell_win_probability, "
        "deal_age_days, p90_won_cycle_days, decay_factor, win_probability from marts.mart_forecast order by deal_id",
    )
    stale = [("hubspot:11", 537), ("hubspot:150", 486), ("hubspot:64", 513), ("hubspot:7", 542), ("hubspot:77", 508),
             ("tracker_cn:a803426f60ccb9b2e47a50207ef7ff2d", 494), ("tracker_cn:e5f9ea66d9a9eb7ec475a154d8e923af", 503)]
    assert [(deal, basis, evidence, float(pooled), float(cell), age, float(p90), float(decay), float(p))
            for deal, basis, evidence, pooled, cell, age, p90, decay, p in rows] == [
        ("export_en:D-002", "pooled", 5, 0.5714, 0.5714, 149, 53.5, 0.2902, 0.1658),
    ] + [(deal, "pooled", 5, 0.5714, 0.5714, age, 53.5, 0.05, 0.0286) for deal, age in stale]
    # the backtest learns the same way as of each month-end: on 2024-04-30 only hubspot:5 had been won with a known
    # creation day (49 days) → p90 49; closed hubspot:31 lost, hubspot:5 and the tracker deal won → pooled 3/5 = 0.6;
    # hubspot:7 (created 2024-01-05) is 116 days old → 0.5 ^ (67 / 49) = 0.387603 → 0.6 × 0.387603 = 0.232562
    assert query(
        built.warehouse,
        "select probability_basis, cell_win_probability, p90_won_cycle_days, decay_factor, win_probability "
        "from marts.int_forecast__deal_predictions where forecast_date = '2024-04-30' and deal_id = 'hubspot:7'",
    ) == [("pooled", Decimal("0.6"), Decimal("49"), Decimal("0.387603"), Decimal("0.232562"))]
    # never certain either way, on any forecast day (as-of and backtest month-ends: 15 days × 7 … 10 open deals)
    assert query(
        built.warehouse,
        "select count(*), count(*) filter (where win_probability >= 1 or win_probability <= 0) "
        "from marts.int_forecast__deal_predictions",
    ) == [(114, 0)]


def test_amounts_loss_reasons_and_identity(built: SimpleNamespace) -> None:
    assert query(built.warehouse, "select amount_cny from marts.fct_deals where deal_id = 'hubspot:77'") == [(405600,)]
    top = top_loss_reasons(built.warehouse)
    assert [(r.reason_code, r.lost_deals, r.share_of_lost, r.amount_lost_reporting) for r in top] == [
        ("price", 1, 0.5, 800000.0),  # D-005 "Price too high"; HubSpot 31 has no reason (unspecified, not ranked)
    ]
    # one person across a form (tf1, tf3 by email) and a tracker row (phone only, tf1's phone): the tracker deal
    # takes the person's first-touch channel, tf1's utm_source baidu
    tracker_deal = query(
        built.warehouse,
        "select person_id, channel_code from marts.fct_deals where deal_name = '广州云帆科技有限公司'",
    )
    leads = query(
        built.warehouse,
        "select lead_id, person_id, is_first_touch, person_has_deal, phone_masked from marts.fct_leads "
        "where lead_id in ('forms:typeform:tf1', 'forms:typeform:tf3') order by lead_id",
    )
    assert tracker_deal[0][1] == "baidu_search"
    assert [(lead_id, person == tracker_deal[0][0], first, has_deal, phone)
            for lead_id, person, first, has_deal, phone in leads] == [
        ("forms:typeform:tf1", True, True, True, "+86138****8000"),
        ("forms:typeform:tf3", True, False, True, None),
    ]


def test_unit_tests_run_in_ci_and_not_at_night(built: SimpleNamespace, tmp_path: Path) -> None:
    """The fixture build (CI) runs every unit test green; the default build (the nightly refresh) runs none."""
    manifest = json.loads((built.project / "target" / "manifest.json").read_text(encoding="utf-8"))
    unit_tests = {node: status for node, status in built.statuses.items() if node.startswith("unit_test.")}
    assert len(unit_tests) == len(manifest["unit_tests"]) > 20
    assert set(unit_tests.values()) == {"pass"}

    warehouse = tmp_path / built.warehouse.name
    shutil.copy2(built.warehouse, warehouse)
    project = copy_project(built.project, tmp_path / "dbt_project")
    nightly = dbt_build(warehouse, as_of=AS_OF, project_dir=project)
    assert not [node for node in nightly if node.startswith("unit_test.")]
    assert {node.split(".")[0] for node in nightly} == {"model", "seed", "test", "operation"}  # on-run-end hook
    assert set(nightly.values()) <= {"success", "pass", "warn"}


def test_changing_the_seeds_changes_the_marts(built: SimpleNamespace, tmp_path: Path) -> None:
    project = copy_project(built.project, tmp_path / "dbt_project")
    seeds = project / "seeds" / "funnel"

    def stale_need_after_527_days(rows):
        for row in rows:
            if row["stage_code"] == "need":
                row["stale_after_days"] = "527"
        return rows

    def map_partner_pipeline(rows):
        partner = {"partner_new": "lead", "partner_negotiation": "negotiation", "partner_won": "won",
                   "partner_lost": "lost"}
        return rows + [{"source": "hubspot", "source_stage": stage, "stage_code": code, "pipeline_id": "partner"}
                       for stage, code in partner.items()]

    edit_csv(seeds / "funnel_stages.csv", stale_need_after_527_days)
    edit_csv(seeds / "funnel_stage_map.csv", map_partner_pipeline)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    dbt_build(warehouse, as_of=AS_OF, project_dir=project)  # an incremental run on the previous build

    # need deals: hubspot:7 is exactly at 527 days → no longer stale; the others are far below.
    # the partner deals join: 20 in negotiation since 2024-03-05, 52 in lead since 2024-02-01; 88 is won.
    stale = query(warehouse, "select deal_id, current_stage_code from marts.mart_stale_deals order by 1")
    # the 8 open deals but the three in need (7, D-002, 云帆), and the two open partner deals
    assert stale == [
        ("hubspot:11", "proposal"), ("hubspot:150", "interest"), ("hubspot:20", "negotiation"), ("hubspot:52", "lead"),
        ("hubspot:64", "negotiation"), ("hubspot:77", "negotiation"),
        ("tracker_cn:e5f9ea66d9a9eb7ec475a154d8e923af", "negotiation"),  # 深圳星河
    ]
    assert query(warehouse, "select count(*) from marts.fct_deals") == [(16,)]
    # the partner pipeline has no interest, need or proposal: going lead → negotiation skips nothing there
    assert query(
        warehouse,
        "select to_stage_code, direction, stages_skipped from marts.fct_deal_stage_events "
        "where deal_id = 'hubspot:88' order by event_sequence",
    ) == [("lead", "entry", 0), ("negotiation", "forward", 0), ("won", "forward", 0)]
    assert [(s.stage_code, s.entered) for s in funnel_summary(warehouse)][0] == ("lead", 9)


def test_failed_build_names_the_failing_nodes(built: SimpleNamespace, tmp_path: Path) -> None:
    project = copy_project(built.project, tmp_path / "dbt_project")
    edit_csv(project / "seeds" / "funnel" / "funnel_stage_map.csv",
             lambda rows: rows + [{"source": "hubspot", "source_stage": "x", "stage_code": "nope", "pipeline_id": ""}])
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    with pytest.raises(FunnelhouseError, match=r"^dbt build failed: relationships_funnel_stage_map_stage_code.*\(fail\)"):
        dbt_build(warehouse, as_of=AS_OF, select="funnel_stage_map", project_dir=project)
    with pytest.raises(FunnelhouseError, match="as_of must be a date"):
        dbt_build(warehouse, as_of="30/06/2025", project_dir=project)


def test_lineage_reads_raw_staging_intermediate_marts(built: SimpleNamespace) -> None:
    """No layer reads from a later one or skips one: staging ← sources; intermediate ← staging, intermediate, seeds;
    marts ← intermediate, marts, seeds."""
    import json

    manifest = json.loads((built.project / "target" / "manifest.json").read_text(encoding="utf-8"))
    allowed = {
        "staging": {"source"},
        "intermediate": {"staging", "intermediate", "seed"},
        "marts": {"intermediate", "marts", "seed"},
    }

    def layer(unique_id: str) -> str:
        if unique_id.startswith("source."):
            return "source"
        node = manifest["nodes"][unique_id]
        return "seed" if node["resource_type"] == "seed" else node["fqn"][1]

    wrong = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        for parent in node["depends_on"]["nodes"]:
            if layer(parent) not in allowed[layer(unique_id)]:
                wrong.append(f"{node['name']} ({layer(unique_id)}) reads {parent}")
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert {n["fqn"][1] for n in models} == set(allowed)
    assert wrong == []
    undocumented = [
        f"{n['name']}.{column}" for n in models for column, spec in n["columns"].items() if not spec["description"]
    ] + [n["name"] for n in models if not n["description"]]
    assert undocumented == []
    built_columns: dict[str, set[str]] = {}
    for table, column in query(
        built.warehouse,
        "select table_name, column_name from information_schema.columns "
        "where table_schema in ('staging', 'intermediate', 'marts')",
    ):
        built_columns.setdefault(table, set()).add(column)
    mismatched = {n["name"]: sorted(built_columns.get(n["name"], set()) ^ set(n["columns"])) for n in models}
    assert {name: columns for name, columns in mismatched.items() if columns} == {}


EXPORT_HEADER = ("Deal ID,Account Name,Industry,Company Size,Contact Name,Title,Phone,Email,Stage,"
                 "Stage Entered,Created,Owner,Amount (CNY),Lost Reason,Channel")
EXPORT_2016 = [
    "D-103,Gamma Bank,Finance,1000+,Carol Xu,VP,,carol@gamma.example,Proposal,2016-09-01,2016-06-01,"
    "Frank Zhou,80000,,Event",
    "D-104,Delta Auto,Manufacturing,500-1000,Dan Wu,COO,,dan@delta.example,Lead,2016-12-20,2016-12-20,"
    "Frank Zhou,30000,,Website",
    "D-105,Zeta Energy,Energy,200-500,Zoe Ma,CTO,,zoe@zeta.example,Closed Lost,2016-10-15,2016-08-01,Frank Zhou,20000,"
    "Budget,Event",
]
EXPORT_2015 = [
    "D-101,Acme Robotics,Manufacturing,200-500,Alice Wang,CIO,,alice@acme.example,Closed Won,2015-04-10,2015-03-02,"
    "Emily Chen,100000,,Website",
    "D-102,Beta Foods,Retail,50-200,Bob Li,Buyer,,bob@beta.example,Closed Lost,2016-01-20,2015-11-15,Emily Chen,50000,"
    "Price too high,Referral",
]
HISTORY_2015 = [
    "Deal ID,From Stage,To Stage,Changed At,Changed By",
    "D-101,,Lead,2015-03-02T09:00:00Z,Emily Chen",
    "D-101,Lead,Qualified,2015-03-20T23:00:00Z,Emily Chen",
    "D-101,Qualified,Closed Won,2015-04-10T01:00:00Z,Emily Chen",
]


def test_data_from_2015_builds_green_with_the_calendar_spanning_it(tmp_path: Path) -> None:
    """An English export from 2015-2016, as of 2016-12-31, spreadsheets only: first the 2016 deals, then the 2015
    ones added (an incremental run). The build stays green (before, dim_date started in 2020 and three
    relationships tests to it failed), dim_date starts on the first day in the data and the daily snapshot grows back
    to it."""
    from funnelhouse.transform import DBT_PROJECT_DIR
    from ingestion.run import IngestOptions, ingest_source

    drop = tmp_path / "inputs" / "spreadsheets"
    drop.mkdir(parents=True)
    export = drop / "pipeline_export_en.csv"
    export.write_text("\n".join([EXPORT_HEADER, *EXPORT_2016]) + "\n", encoding="utf-8")
    options = IngestOptions(inputs_dir=tmp_path / "inputs", warehouse=tmp_path / "warehouse.duckdb",
                            pipelines_dir=tmp_path / "pipelines")
    project = copy_project(DBT_PROJECT_DIR, tmp_path / "dbt_project")
    ingest_source("spreadsheets", options)
    first = dbt_build(options.warehouse, as_of="2016-12-31", project_dir=project)
    assert set(first.values()) == {"success", "pass"}
    # D-103 opened 2016-06-01 (the forecast needs a closed deal: D-105); the calendar ends on 2016-12-31 + 366 =
    # 2018-01-01
    assert query(options.warehouse, "select min(date_day), max(date_day) from marts.dim_date") == [
        (date(2016, 6, 1), date(2018, 1, 1))]

    export.write_text("\n".join([EXPORT_HEADER, *EXPORT_2015, *EXPORT_2016]) + "\n", encoding="utf-8")
    (drop / "pipeline_export_en_stage_history.csv").write_text("\n".join(HISTORY_2015) + "\n", encoding="utf-8")
    ingest_source("spreadsheets", options)
    second = dbt_build(options.warehouse, as_of="2016-12-31", project_dir=project)
    assert set(second.values()) == {"success", "pass"}

    # the first day in the data: D-101 created (and entered Lead) on 2015-03-02
    assert query(options.warehouse, "select min(date_day), max(date_day), count(*) from marts.dim_date") == [
        (date(2015, 3, 2), date(2018, 1, 1), 1037)]  # 2015-03-02 → 2018-01-01: 305 + 366 + 365 + 1 days
    # whole calendar days: D-101 2015-03-02 → 04-10 01:00 = 29 + 10 = 39; D-102 2015-11-15 → 2016-01-20 = 15 + 31 +
    # 20 = 66; D-105 2016-08-01 → 10-15 = 30 + 30 + 15 = 75; D-101 in Qualified (need) 03-20 23:00 → 04-10 01:00 =
    # 11 + 10 = 21
    cycles = "select deal_id, current_stage_code, cycle_days from marts.fct_deals order by 1"
    assert query(options.warehouse, cycles) == [
        ("export_en:D-101", "won", 39), ("export_en:D-102", "lost", 66), ("export_en:D-103", "proposal", None),
        ("export_en:D-104", "lead", None), ("export_en:D-105", "lost", 75)]
    assert query(
        options.warehouse,
        "select stage_code, deals_measured, cast(avg_days as double) from marts.mart_stage_velocity "
        "where deals_measured > 0 order by stage_order",
    ) == [("lead", 3, 53.0), ("need", 1, 21.0), ("won", 1, 39.0), ("lost", 2, 70.5)]  # lead: 18, 66 and 75
    # open days: D-101 03-02 … 04-09 (39), D-102 2015-11-15 … 2016-01-19 (16 + 31 + 19 = 66), D-103 06-01 … 12-31
    # (214), D-104 12-20 … 12-31 (12) and D-105 08-01 … 10-14 (75) within D-103's: 39 + 66 + 214 = 319 days,
    # 39 + 66 + 214 + 12 + 75 = 406 deal-days
    assert query(
        options.warehouse,
        "select min(snapshot_date), count(distinct snapshot_date), sum(open_deals) "
        "from marts.fct_pipeline_daily_snapshot",
    ) == [(date(2015, 3, 2), 319, 406)]


def test_a_passthrough_column_reaches_fct_deals(built: SimpleNamespace, tmp_path: Path) -> None:
    """A customer's own deal field (as Salesforce's Loss_Reason__c would be) reaches fct_deals through the var
    deals_passthrough_columns and yml alone: here HubSpot's canonical model carries dealstage as custom_stage_c
    (a stand-in for a source model that has the field); the other sources do not have it → null."""
    import yaml

    project = copy_project(built.project, tmp_path / "dbt_project")
    model = project / "models" / "intermediate" / "hubspot" / "int_hubspot__deals.sql"
    model.write_text(model.read_text(encoding="utf-8").replace(
        "        hubspot_deals.source_load_id\n",
        "        hubspot_deals.deal_stage_id as custom_stage_c,\n        hubspot_deals.source_load_id\n"), encoding="utf-8")
    for path, name in (("intermediate/hubspot/_hubspot__intermediate.yml", "int_hubspot__deals"),
                       ("marts/_marts__models.yml", "fct_deals")):
        document = yaml.safe_load((project / "models" / path).read_text(encoding="utf-8"))
        (entry,) = [m for m in document["models"] if m["name"] == name]
        entry["columns"].append({"name": "custom_stage_c", "description": "A customer's field.",
                                 **({"data_type": "varchar"} if name == "fct_deals" else {})})
        (project / "models" / path).write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    settings = project / "dbt_project.yml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "deals_passthrough_columns: []", "deals_passthrough_columns: [{name: custom_stage_c, type: string}]"),
        encoding="utf-8")
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    dbt_build(warehouse, as_of=AS_OF, select="int_hubspot__deals+,+fct_deals", project_dir=project)

    # the 7 HubSpot deals in the funnel keep their dealstage; the 3 export and 3 tracker deals have none
    assert query(warehouse, "select deal_id, custom_stage_c from marts.fct_deals where source = 'hubspot' "
                            "order by 1") == [
        ("hubspot:11", "presentationscheduled"), ("hubspot:150", "appointmentscheduled"),
        ("hubspot:31", "closedlost"), ("hubspot:5", "closedwon"), ("hubspot:64", "decisionmakerboughtin"),
        ("hubspot:7", "qualifiedtobuy"), ("hubspot:77", "contractsent"),
    ]
    assert query(warehouse, "select source, count(custom_stage_c), count(*) from marts.fct_deals "
                            "where source <> 'hubspot' group by 1 order by 1") == [("export_en", 0, 3),
                                                                                  ("tracker_cn", 0, 3)]
