"""Hand-counted numbers on the committed fixtures (the session's fixture build, as of 2025-06-30): the funnel by every
segment type of mart_funnel_conversion, and who is the same person / company in int_person_identities and
int_company_identities.

The 13 deals in the funnel (see tests/test_dbt_models.py for how the fixtures give them), with the furthest open or
won stage each reached (L lead, I interest, N need, P proposal, G negotiation, W won) and what the segments read
(cohort = creation month; owner/team from dim_owner; industry/size from the deal's company in dim_company):

  deal      furthest  lost  cohort   channel          owner            team        industry       size
  D-001     W               2025-01  website_organic  sheet:emilychen  unknown     software       m     (Acme Corp)
  D-002     N               2025-02  referral         sheet:emilychen  unknown     retail         s
  D-005     L         yes   2025-01  website_organic  sheet:emilychen  unknown     healthcare     m
  hs:5      W               2024-01  other            hubspot:101      West Sales  software       m     (Acme Corp)
  hs:7      N               2024-01  other            hubspot:102      West Sales  manufacturing  unknown (Globex)
  hs:11     P               2024-01  other            hubspot:101      West Sales  software       unknown (Initech)
  hs:31     N         yes   2024-01  other            hubspot:102      West Sales  ecommerce      unknown (Hooli)
  hs:64     G               2024-02  other            hubspot:101      West Sales  software       m
  hs:77     G               2024-02  other            hubspot:102      West Sales  manufacturing  unknown
  hs:150    I               2024-03  other            unknown          unknown     healthcare     unknown (Umbrella)
  云帆      N               2024-02  baidu_search     sheet:张伟       华南        manufacturing  m
  云杉      W               2023-12  other            sheet:刘洋       华南        software       m
  星河      G               2024-02  other            sheet:刘洋       华南        retail         s

`reached` of a stage = deals of the segment whose furthest stage is at or after it (lost: deals lost). Emily Chen is
in the owners list without a team ('unknown'); hubspot:150 has no owner at all (owner and team 'unknown', from the
segment's coalesce): were a missing owner given another member than 'unknown' (or its team another name), the owner
'unknown' and team 'unknown' rows are the ones that move.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from support.warehouse import query

STAGES = ("lead", "interest", "need", "proposal", "negotiation", "won", "lost")


@pytest.fixture(scope="module")
def warehouse(fixture_build: SimpleNamespace) -> Path:
    return fixture_build.warehouse


def funnel_by_segment(warehouse: Path, measure: str) -> dict[tuple[str, str], tuple]:
    """{(segment_type, segment_value): (deals_in_segment, measure at lead, interest, ..., won, lost)}."""
    rows = query(
        warehouse,
        f"select segment_type, segment_value, deals_in_segment, stage_code, {measure} "
        "from marts.mart_funnel_conversion where segment_type <> 'overall' order by 1, 2, stage_order",
    )
    grouped: dict[tuple[str, str], list] = {}
    for segment_type, value, deals, stage, number in rows:
        grouped.setdefault((segment_type, value), [deals]).append(
            None if number is None else float(number) if measure.endswith("rate") else number)
        assert STAGES[len(grouped[(segment_type, value)]) - 2] == stage
    return {key: tuple(numbers) for key, numbers in grouped.items()}


def test_reached_by_every_segment(warehouse: Path) -> None:
    # (deals, reached lead, interest, need, proposal, negotiation, won, lost), counted from the table above
    assert funnel_by_segment(warehouse, "reached") == {
        # cohort 2023-12: 云杉 (W). 2024-01: 5 (W), 7 (N), 11 (P), 31 (N, lost). 2024-02: 64, 77, 星河 (G), 云帆 (N).
        # 2024-03: 150 (I). 2025-01: D-001 (W), D-005 (L, lost). 2025-02: D-002 (N).
        ("cohort_month", "2023-12"): (1, 1, 1, 1, 1, 1, 1, 0),
        ("cohort_month", "2024-01"): (4, 4, 4, 4, 2, 1, 1, 1),
        ("cohort_month", "2024-02"): (4, 4, 4, 4, 3, 3, 0, 0),
        ("cohort_month", "2024-03"): (1, 1, 1, 0, 0, 0, 0, 0),
        ("cohort_month", "2025-01"): (2, 2, 1, 1, 1, 1, 1, 1),
        ("cohort_month", "2025-02"): (1, 1, 1, 1, 0, 0, 0, 0),
        # channel: website_organic D-001 (W), D-005 (L, lost); referral D-002; baidu_search 云帆; other the 9 rest:
        # past interest all but 150 (8), proposal 5, 11, 64, 77, 云杉, 星河 (6), negotiation the same but 11 (5),
        # won 5, 云杉 (2), lost 31
        ("channel", "baidu_search"): (1, 1, 1, 1, 0, 0, 0, 0),
        ("channel", "other"): (9, 9, 9, 8, 6, 5, 2, 1),
        ("channel", "referral"): (1, 1, 1, 1, 0, 0, 0, 0),
        ("channel", "website_organic"): (2, 2, 1, 1, 1, 1, 1, 1),
        # industry: software D-001, 5, 11, 64, 云杉 (proposal all 5, negotiation not 11, won D-001, 5, 云杉);
        # manufacturing 7, 77, 云帆; retail D-002, 星河; healthcare D-005, 150; ecommerce 31
        ("industry", "ecommerce"): (1, 1, 1, 1, 0, 0, 0, 1),
        ("industry", "healthcare"): (2, 2, 1, 0, 0, 0, 0, 1),
        ("industry", "manufacturing"): (3, 3, 3, 3, 1, 1, 0, 0),
        ("industry", "retail"): (2, 2, 2, 2, 1, 1, 0, 0),
        ("industry", "software"): (5, 5, 5, 5, 5, 4, 3, 0),
        # owner: 101 = 5, 11, 64; 102 = 7, 31, 77; Emily Chen the three export deals; 刘洋 云杉, 星河; 张伟 云帆
        ("owner", "hubspot:101"): (3, 3, 3, 3, 3, 2, 1, 0),
        ("owner", "hubspot:102"): (3, 3, 3, 3, 1, 1, 0, 1),
        ("owner", "sheet:emilychen"): (3, 3, 2, 2, 1, 1, 1, 1),
        ("owner", "sheet:刘洋"): (2, 2, 2, 2, 2, 2, 1, 0),
        ("owner", "sheet:张伟"): (1, 1, 1, 1, 0, 0, 0, 0),
        ("owner", "unknown"): (1, 1, 1, 0, 0, 0, 0, 0),
        # size: m = D-001, D-005, 5, 64, 云帆, 云杉; s = D-002, 星河; unknown = 7, 11, 31, 77, 150
        ("size_band", "m"): (6, 6, 5, 5, 4, 4, 3, 1),
        ("size_band", "s"): (2, 2, 2, 2, 1, 1, 0, 0),
        ("size_band", "unknown"): (5, 5, 5, 4, 2, 1, 0, 1),
        # team: West Sales = owners 101 + 102; unknown = Emily Chen's 3 + 150; 华南 = 刘洋 + 张伟
        ("team", "West Sales"): (6, 6, 6, 6, 4, 3, 1, 1),
        ("team", "unknown"): (4, 4, 3, 2, 1, 1, 1, 1),
        ("team", "华南"): (3, 3, 3, 3, 2, 2, 1, 0),
    }


def test_entered_won_and_lost_by_channel_and_team(warehouse: Path) -> None:
    """entered = deals with a stage event into the stage: the HubSpot Sales Pipeline starts at interest (no lead),
    31 entered at need and 64 at proposal; D-001 went lead → need → won; D-002's history starts in need (entered
    lead by its move out of it); D-005 has no history (lead); tracker rows enter every stage up to theirs."""
    entered = funnel_by_segment(warehouse, "entered")
    # other: lead 云杉, 星河; interest 5, 7, 11, 77, 150, 云杉, 星河; need 7, 11, 31, 云杉, 星河; proposal 11, 64,
    # 云杉, 星河; negotiation 5, 64, 77, 云杉, 星河; won 5, 云杉; lost 31
    assert entered[("channel", "other")] == (9, 2, 7, 5, 4, 5, 2, 1)
    assert entered[("channel", "website_organic")] == (2, 2, 0, 1, 0, 0, 1, 1)  # D-001 L N W, D-005 L lost
    # West Sales: interest 5, 7, 11, 77; need 7, 11, 31; proposal 11, 64; negotiation 5, 64, 77; won 5; lost 31
    assert entered[("team", "West Sales")] == (6, 0, 4, 3, 2, 3, 1, 1)
    won_later = funnel_by_segment(warehouse, "won_later")
    # won deals count at every stage they reached up to won: West Sales 5; 华南 云杉; unknown D-001; none lost
    assert [won_later[("team", team)] for team in ("West Sales", "unknown", "华南")] == [
        (6, 1, 1, 1, 1, 1, 1, 0), (4, 1, 1, 1, 1, 1, 1, 0), (3, 1, 1, 1, 1, 1, 1, 0)]
    lost_here = funnel_by_segment(warehouse, "lost_here")
    # 31 lost from need (West Sales), D-005 from lead (team unknown)
    assert [lost_here[("team", team)] for team in ("West Sales", "unknown", "华南")] == [
        (6, 0, 0, 1, 0, 0, 0, 0), (4, 1, 0, 0, 0, 0, 0, 0), (3, 0, 0, 0, 0, 0, 0, 0)]


def test_conversion_rates_by_channel(warehouse: Path) -> None:
    adjacent = funnel_by_segment(warehouse, "adjacent_conversion_rate")
    cumulative = funnel_by_segment(warehouse, "cumulative_conversion_rate")
    # other, reached 9 9 8 6 5 2 | 1: next/this 9/9, 8/9 = 0.8889, 6/8 = 0.75, 5/6 = 0.8333, 2/5 = 0.4 (none for won
    # and lost); from the top 9/9, 9/9, 8/9, 6/9 = 0.6667, 5/9 = 0.5556, 2/9 = 0.2222, 1/9 = 0.1111
    assert adjacent[("channel", "other")] == (9, 1.0, 0.8889, 0.75, 0.8333, 0.4, None, None)
    assert cumulative[("channel", "other")] == (9, 1.0, 1.0, 0.8889, 0.6667, 0.5556, 0.2222, 0.1111)
    # referral, reached 1 1 1 0 0 0: need → proposal 0/1 = 0; nothing after a stage reached by no deal
    assert adjacent[("channel", "referral")] == (1, 1.0, 1.0, 0.0, None, None, None, None)
    # website_organic, reached 2 1 1 1 1 1 | 1: 1/2, then 1/1 up to won
    assert adjacent[("channel", "website_organic")] == (2, 0.5, 1.0, 1.0, 1.0, 1.0, None, None)
    win_rate = funnel_by_segment(warehouse, "win_rate")
    # team 华南, reached 3 3 3 2 2 1 | 0, won 1 (云杉): 1/3 = 0.3333, 1/2, 1/1; lost reached by none → null
    assert win_rate[("team", "华南")] == (3, 0.3333, 0.3333, 0.3333, 0.5, 0.5, 1.0, None)


def identity_groups(warehouse: Path, model: str, key: str) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """The records of an identity model and {key: [(record_source, record_id, matched_by), ...]}."""
    rows = query(warehouse, f"select {key}, record_source, record_id, matched_by from intermediate.{model} "
                            "order by record_source, record_id")
    groups: dict[str, list[tuple]] = {}
    for group, source, record, matched_by in rows:
        groups.setdefault(group, []).append((source, record, matched_by))
    return rows, groups


def test_person_identities_across_sources(warehouse: Path) -> None:
    """22 places a person is seen: 7 form submissions (tf1, tf2, tf3; 金数据 fhTrial-1, -2; website WS-000001, -2),
    9 HubSpot contacts (ids 1-8, 10), 3 tracker rows, 3 export rows. They are 17 people:
      tf1 (wang.wei@example.cn, +86 138 0013 8000) = tf3 (" WANG.WEI@Example.cn ": same email once trimmed and
        lower-cased) = tracker 云帆 (13800138000, no email: the phone's email → phone_to_email);
      export D-001 (alice@acme.example, +86 138 0013 8001) = HubSpot contact 1 (alice@acme.example) = tf2
        (138-0013-8001, no email): one person across the export, the CRM and a form;
      export D-005 (eve@epsilon.example, 021-6234-5678) = fhTrial-2 ((021) 6234 5678; liu.yang@@example is not an
        email): by phone, whatever the name;
      D-002 (bob@@beta is no email: its phone alone), trackers 云杉 and 星河 (phones only) and the other 10 records
      (an email each) are people of their own: 22 - 2 - 2 - 1 = 17."""
    rows, people = identity_groups(warehouse, "int_person_identities", "person_id")
    tracker = dict(query(warehouse, "select deal_name, source_deal_id from marts.fct_deals where source = 'tracker_cn'"))
    assert (len(rows), len(people)) == (22, 17)
    assert sorted(group for group in people.values() if len(group) > 1) == [
        [("export_en", "D-001", "email"), ("forms", "typeform:tf2", "phone_to_email"), ("hubspot_contact", "1", "email")],
        [("export_en", "D-005", "email"), ("forms", "jinshuju:fhTrial-2", "phone_to_email")],
        [("forms", "typeform:tf1", "email"), ("forms", "typeform:tf3", "email"),
         ("tracker_cn", tracker["广州云帆科技有限公司"], "phone_to_email")],
    ]
    alone = sorted((source, matched_by) for group in people.values() if len(group) == 1
                   for source, _, matched_by in group)
    assert alone == [("export_en", "phone"), ("forms", "email"), ("forms", "email"), ("forms", "email"),
                     ("hubspot_contact", "email"), ("hubspot_contact", "email"), ("hubspot_contact", "email"),
                     ("hubspot_contact", "email"), ("hubspot_contact", "email"), ("hubspot_contact", "email"),
                     ("hubspot_contact", "email"), ("hubspot_contact", "email"), ("tracker_cn", "phone"),
                     ("tracker_cn", "phone")]
    # the deal side: D-001 and HubSpot deal 5 (first contact 1 = alice) are the same person
    assert query(
        warehouse,
        "select count(distinct person_id) from marts.fct_deals where deal_id in ('export_en:D-001', 'hubspot:5')",
    ) == [(1,)]


def test_company_identities_across_sources(warehouse: Path) -> None:
    """HubSpot companies 3 (Acme Corp, acme.example), 8, 12, 25, 100, 101, 1003 are themselves and take their
    associated contacts (3: contacts 1, 2; 8: 3, 4; 12: 5, 6; 25: 7; 100: 8; 1003: 10). Export D-001 (Acme Robotics,
    alice@acme.example) joins company 3 by its email domain although its name differs; D-005's domain
    epsilon.example is no HubSpot company's (a company by domain); D-002's email is invalid (by name); forms and
    trackers name companies no HubSpot company has (by name; tf1 and tf3 both name 华信科技: one company)."""
    rows, companies = identity_groups(warehouse, "int_company_identities", "company_key")
    assert (len(rows), len(companies)) == (29, 18)
    assert companies["hubspot:3"] == [("export_en", "D-001", "hubspot_domain"), ("hubspot_company", "3", "hubspot_id"),
                                      ("hubspot_contact", "1", "hubspot_id"), ("hubspot_contact", "2", "hubspot_id")]
    assert companies["domain:epsilon.example"] == [("export_en", "D-005", "domain")]
    assert companies["name:华信科技"] == [("forms", "typeform:tf1", "name"), ("forms", "typeform:tf3", "name")]
    assert sorted((key.split(":")[0], len(group)) for key, group in companies.items()) == sorted(
        [("domain", 1)] + [("hubspot", n) for n in (4, 3, 3, 2, 2, 2, 1)] + [("name", 2)] + [("name", 1)] * 9)
    # the deal side: export D-001 and HubSpot deals 5, 64 (associated with company 3) are one company, Acme Corp
    assert query(
        warehouse,
        "select count(distinct company_id), min(company_name) from marts.fct_deals "
        "join marts.dim_company using (company_id) where deal_id in ('export_en:D-001', 'hubspot:5', 'hubspot:64')",
    ) == [(1, "Acme Corp")]
