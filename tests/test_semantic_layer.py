"""The semantic layer (dbt_project/models/semantic, dbt-metricflow): `mf validate-configs` passes and `mf query`
gives the marts' numbers, on a warehouse built from the committed fixtures (tests/test_dbt_models.py describes
their funnel, as of 2025-06-30: 13 deals).

The conversion metric compared with mart_funnel_conversion is stage_advances (type conversion, entity deal). Its
base events are the deals' entries into a stage (fct_deal_stage_events.to_stage_code), its conversion events the
forward moves, tied to the stage entered by the constant property to_stage_code = from_stage_code: a forward move
out of stage X converts when the same deal entered X on that day or before. A deal's events form a chain
(from_stage_code is the previous event's to_stage_code, changed_at never goes back; checked below), so every
forward move out of X follows an entry into X, and by stage the conversions are exactly the mart's `advanced`
(deals that moved forward out of the stage) and the base the mart's `entered`. It is not the mart's
adjacent_conversion_rate: that one counts the deals that reached the next stage or a later one, so a skipped stage
counts as passed, which no event records.

mf runs as a subprocess on the copied dbt project: it reads <project>/target/semantic_manifest.json (written by
the dbt build; the path is fixed, DBT_TARGET_PATH is not read), the project and profiles dirs from DBT_PROJECT_DIR
and DBT_PROFILES_DIR, the warehouse from FUNNELHOUSE_WAREHOUSE (profiles.yml). It must not reach the network: the
CLI asks PyPI for a newer dbt-metricflow on every start (the update_checker package, with no setting to turn it
off) unless the answer is in update_checker's cache in the temp folder. So the runs get their own TMPDIR with the
answer "no update" cached, and an unreachable local proxy in case that cache is ever not read.
"""
from __future__ import annotations

import csv
import os
import pickle
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.inputs import FIXTURE_AS_OF
from support.warehouse import query


AS_OF = FIXTURE_AS_OF
MF = Path(sys.executable).parent / ("mf.exe" if os.name == "nt" else "mf")
STAGES = ["lead", "interest", "need", "proposal", "negotiation", "won", "lost"]


def offline_env(root: Path, warehouse: Path, project: Path) -> dict[str, str]:
    """Environment of an mf run: the copied project and the warehouse, and no way out to the network."""
    temp = root / "mf_tmp"
    temp.mkdir(exist_ok=True)
    # update_checker's cache: {(package, version): (time checked, result)}; result None = no newer version
    package = "dbt-metricflow"
    with (temp / "update_checker_cache.pkl").open("wb") as handle:
        pickle.dump({(package, version(package)): (time.time(), None)}, handle, pickle.HIGHEST_PROTOCOL)
    env = {name: value for name, value in os.environ.items() if name.lower() not in ("no_proxy", "all_proxy")}
    unreachable = "http://127.0.0.1:9"  # discard port: a request would fail at once, locally
    env.update({
        "TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp),
        "HTTP_PROXY": unreachable, "HTTPS_PROXY": unreachable, "http_proxy": unreachable, "https_proxy": unreachable,
        "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "FUNNELHOUSE_WAREHOUSE": str(warehouse.resolve()),
        "DBT_PROJECT_DIR": str(project), "DBT_PROFILES_DIR": str(project),
    })
    return env


@pytest.fixture(scope="module")
def built(fixture_build: SimpleNamespace) -> SimpleNamespace:
    assert (fixture_build.project / "target" / "semantic_manifest.json").exists()
    return SimpleNamespace(**vars(fixture_build),
                           env=offline_env(fixture_build.root, fixture_build.warehouse, fixture_build.project))


def mf(built: SimpleNamespace, *args: str) -> str:
    completed = subprocess.run(
        [str(MF), *args], cwd=built.project, env=built.env, capture_output=True, text=True, timeout=300,
    )
    output = completed.stdout + completed.stderr
    # mf reports a failed query or load as "ERROR: ..." (exit code 1 or, for some failures, 0)
    assert completed.returncode == 0 and not re.search(r"^ERROR:", output, re.MULTILINE), output
    assert "new version of the MetricFlow CLI" not in output  # the update check answered from the cache
    return output


def mf_query(
    built: SimpleNamespace, name: str, metrics: list[str], group_by: Sequence[str] = ()
) -> list[dict[str, str]]:
    """Rows of `mf query --metrics ... --group-by ... --csv`, as strings."""
    path = built.root / f"{name}.csv"
    args = ["query", "--metrics", ",".join(metrics), "--csv", str(path)]
    if group_by:
        args += ["--group-by", ",".join(group_by)]
    mf(built, *args)
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def number(value: str) -> float:
    return float(value) if value not in ("", None) else 0.0


def test_validate_configs_passes_semantically_and_against_the_warehouse(built: SimpleNamespace) -> None:
    output = mf(built, "validate-configs")
    assert "Successfully validated the semantics of built manifest (ERRORS: 0" in output
    for step in ("semantic models", "dimensions", "entities", "measures", "metrics"):
        assert f"Successfully validated {step} against data warehouse (ERRORS: 0" in output, output


def test_stage_advances_conversion_metric_equals_the_funnel_mart(built: SimpleNamespace) -> None:
    # the premise: every event but a deal's first leaves the stage the previous one entered, not earlier than it
    broken_chains = query(built.warehouse, """
        select deal_id, event_sequence from (
            select deal_id, event_sequence, from_stage_code, changed_at,
                   lag(to_stage_code) over (partition by deal_id order by event_sequence) as previous_stage_code,
                   lag(changed_at) over (partition by deal_id order by event_sequence) as previous_changed_at
            from marts.fct_deal_stage_events
        ) as events
        where from_stage_code is distinct from previous_stage_code or changed_at < previous_changed_at
    """)
    assert broken_chains == []
    rows = mf_query(built, "stage_advances", ["stage_entries", "stage_advances", "stage_advance_rate"],
                    ["stage_event__to_stage_code"])
    semantic = {
        row["stage_event__to_stage_code"]: (int(number(row["stage_entries"])), int(number(row["stage_advances"])),
                                             round(number(row["stage_advance_rate"]), 4))
        for row in rows
    }
    mart = {
        stage: (entered, advanced, round(advanced / entered, 4) if entered else 0.0)
        for stage, entered, advanced in query(
            built.warehouse,
            "select stage_code, entered, advanced from marts.mart_funnel_conversion "
            "where segment_type = 'overall' and entered > 0",
        )
    }
    assert semantic == mart
    # by hand (entries as in test_dbt_models.test_overall_funnel), forward moves out of:
    #   lead: D-001 (→ need), D-002 (→ need) and the 3 tracker deals, not D-005 (lost) → 5 of 6
    #   interest: HubSpot 5 and 77 (→ negotiation), 7 and 11 (→ need), the 3 tracker deals; 150 stays → 7 of 8
    #   need: 11, 星河, 云杉 (→ proposal), D-001 (→ won); 7, D-002, 云帆 stay, 31 is lost → 4 of 8
    #   proposal: 64, 星河, 云杉 (→ negotiation); 11 stays → 3 of 4
    #   negotiation: 5, 云杉 (→ won); 64, 77, 星河 stay → 2 of 5
    #   won, lost: none (closed) → 0 of 3, 0 of 2
    assert [(stage, *semantic[stage]) for stage in STAGES] == [
        ("lead", 6, 5, 0.8333),
        ("interest", 8, 7, 0.875),
        ("need", 8, 4, 0.5),
        ("proposal", 4, 3, 0.75),
        ("negotiation", 5, 2, 0.4),
        ("won", 3, 0, 0.0),
        ("lost", 2, 0, 0.0),
    ]


def test_stage_advances_by_channel_equal_the_channel_segment_of_the_mart(built: SimpleNamespace) -> None:
    # the deal's channel through the deal entity (stage_event → deal → channel), the mart's segment 'channel'
    rows = mf_query(built, "stage_advances_by_channel", ["stage_entries", "stage_advances"],
                    ["stage_event__to_stage_code", "deal__channel"])
    semantic = {(row["stage_event__to_stage_code"], row["deal__channel"]):
                (int(number(row["stage_entries"])), int(number(row["stage_advances"]))) for row in rows}
    mart = {(stage, channel): (entered, advanced) for stage, channel, entered, advanced in query(
        built.warehouse,
        "select stage_code, segment_value, entered, advanced from marts.mart_funnel_conversion "
        "where segment_type = 'channel' and entered > 0",
    )}
    # channels × stages entered (test_segment_numbers): baidu_search lead, interest, need (3); other every stage
    # (7); referral lead, need (2); website_organic lead, need, won, lost (4) → 16
    assert semantic == mart and len(mart) == 16


def test_conversion_and_deal_metrics_without_grouping(built: SimpleNamespace) -> None:
    [row] = mf_query(built, "totals", [
        "interest_to_need_conversion_rate", "lead_to_deal_conversion_rate", "leads", "deals", "open_deals",
        "won_deals", "lost_deals", "closed_deals", "win_rate", "average_deal_size", "cycle_days",
    ])
    # interest entered by HubSpot 5, 7, 11, 77, 150 and the 3 tracker deals; need entered after it by 7, 11 and the
    # 3 tracker deals (5 and 77 skipped need, 150 is still in interest) → 5 / 8
    assert round(number(row["interest_to_need_conversion_rate"]), 4) == 0.625
    [(interest_to_need,)] = query(built.warehouse, """
        with entries as (select deal_id, to_stage_code, min(changed_at::date) as first_day,
                                max(changed_at::date) as last_day
                         from marts.fct_deal_stage_events group by 1, 2)
        select count(distinct need.deal_id) / count(distinct interest.deal_id)
        from entries as interest
        left join entries as need
            on need.deal_id = interest.deal_id and need.to_stage_code = 'need' and need.last_day >= interest.first_day
        where interest.to_stage_code = 'interest'
    """)
    assert round(number(row["interest_to_need_conversion_rate"]), 4) == round(interest_to_need, 4)
    # persons with a lead who got a deal created on the lead's day or less than 90 days after it (MetricFlow's window:
    # base day <= conversion day < base day + 90 days) / persons with a lead
    [(lead_to_deal,)] = query(built.warehouse, """
        select count(distinct case when exists (
                   select 1 from marts.fct_deals as deals
                   where deals.person_id = leads.person_id
                     and deals.created_at::date >= leads.created_at::date
                     and deals.created_at::date < leads.created_at::date + interval 90 day
               ) then leads.person_id end) / count(distinct leads.person_id)
        from marts.fct_leads as leads
    """)
    assert round(number(row["lead_to_deal_conversion_rate"]), 4) == round(lead_to_deal, 4)

    [facts] = query(built.warehouse, """
        select (select count(*) from marts.fct_leads), count(*), count(*) filter (where is_open),
               count(*) filter (where is_won), count(*) filter (where is_lost),
               avg(amount_reporting) filter (where is_won), avg(cycle_days)
        from marts.fct_deals
    """)
    leads, deals, open_deals, won, lost, average_won_amount, cycle_days = facts
    # 13 deals: 5, D-001, 云杉 won; 31, D-005 lost; 8 open (test_dbt_models) → win rate 3 / 5
    assert (deals, open_deals, won, lost) == (13, 8, 3, 2)
    assert [int(number(row[name])) for name in ("leads", "deals", "open_deals", "won_deals", "lost_deals",
                                                 "closed_deals")] == [leads, 13, 8, 3, 2, 5]
    assert number(row["win_rate"]) == pytest.approx(0.6)
    assert number(row["average_deal_size"]) == pytest.approx(float(average_won_amount))
    assert number(row["cycle_days"]) == pytest.approx(float(cycle_days))
