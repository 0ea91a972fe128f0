"""The suites: one per checked warehouse table (two on mart_funnel_conversion), written as code.

A suite is the SQL (DuckDB) that reads the frame to validate, possibly with derived columns, and a function that
builds its Great Expectations expectations, each with a severity in `meta` (ERROR blocks downstream, WARN reports).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from expectations.rules import (
    EMAIL,
    ERROR,
    MAX_EXCLUDED_DEAL_SHARE,
    MAX_QUARANTINED_ROW_SHARE,
    MAX_UNKNOWN_CHANNEL_SHARE,
    PHONE_E164,
    PHONE_TYPED,
    SHARE_SUM_TOLERANCE,
    WARN,
    BuildContext,
    between,
    in_set,
    is_false,
    is_null,
    matches,
    non_negative,
    not_in_future,
    rate,
    required,
    row_count_within_bounds,
    unique,
)

if TYPE_CHECKING:  # pragma: no cover
    from great_expectations.expectations import Expectation


@dataclass(frozen=True)
class Suite:
    name: str  # e.g. "raw_hubspot__deals"
    table: str  # the warehouse table the asset check sits on: "raw_hubspot.deals"
    query: str  # SQL producing the frame to validate (may derive columns or join)
    build: Callable[[BuildContext], list["Expectation"]]
    description: str = ""
    # Columns that identify a row: failing rows are listed with them in the GX result.
    id_columns: tuple[str, ...] = field(default=())

    @property
    def schema_name(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def table_name(self) -> str:
        return self.table.split(".", 1)[1]


def _stage_codes(context: BuildContext, column: str) -> Expectation:
    return in_set(column, context.stage_codes(), f"{column} is a stage_code of seeds/funnel/funnel_stages.csv")


def _mapped_stages(column: str, source: str, context: BuildContext) -> Expectation:
    """WARN: the marts leave out deals in stages the funnel map does not list for the source; a new stage needs a row
    in the map."""
    return in_set(column, context.source_stages(source),
                  f"{column} is mapped in seeds/funnel/funnel_stage_map.csv (source {source})", severity=WARN)


def _fx_currency(column: str, context: BuildContext) -> Expectation:
    """WARN: an amount in a currency without a rate has no reporting amount in the marts."""
    return in_set(column, context.currencies(), f"{column} has a rate in seeds/funnel/fx_rates.csv", severity=WARN)


# ----------------------------------------------------------------------------------------------------- raw: forms
def _raw_forms__form_submissions(context: BuildContext) -> list[Expectation]:
    return [
        *required(["submission_id", "form_tool", "submitted_at", "source_file"]),
        unique("submission_id"),
        is_false("has_no_contact", "a lead has an email or a phone"),
        matches("email", EMAIL, "email looks like an e-mail address"),
        matches("phone", PHONE_E164, "phone is normalised E.164 (+86 mobile or landline, or +<country>)"),
        not_in_future("submitted_at", context),
        row_count_within_bounds(context),
    ]


# ----------------------------------------------------------------------------------------------- raw: spreadsheets
def mapping_required(table: str, mapping_path: str | None = None) -> list[str]:
    """The columns of a spreadsheets raw table that mapping.yaml requires (a required field, a key, a constant, a
    value from the file name, the provenance): every entry loading the table writes them. A field the mapping
    leaves optional may be empty, so the checks do not demand it. Empty when no entry loads the table."""
    from ingestion.spreadsheets.mapping import load_mapping

    mapping = load_mapping(mapping_path)
    if table not in mapping.tables():
        return []
    return [column for column, hint in mapping.table_columns(table).items() if not hint["nullable"]]


def _raw_spreadsheets__tracker_deals(context: BuildContext) -> list[Expectation]:
    return [
        *required(mapping_required("tracker_deals")),
        unique("team", "customer_name", "stage_code", "stage_entered_on"),
        _stage_codes(context, "stage_code"),
        non_negative("amount_cny"),
        non_negative("previous_stage_days", severity=WARN),
        matches("contact_phone", PHONE_E164, "contact_phone is normalised E.164"),
        not_in_future("stage_entered_on", context),
        row_count_within_bounds(context),
    ]


def _raw_spreadsheets__export_deals(context: BuildContext) -> list[Expectation]:
    return [
        *required(mapping_required("export_deals")),
        unique("deal_id"),
        _stage_codes(context, "stage_code"),
        non_negative("amount_cny"),
        matches("contact_phone", PHONE_E164, "contact_phone is normalised E.164"),
        matches("contact_email", EMAIL, "contact_email looks like an e-mail address"),
        not_in_future("created_on", context),
        not_in_future("stage_entered_on", context),
        row_count_within_bounds(context),
    ]


def _raw_spreadsheets__export_stage_changes(context: BuildContext) -> list[Expectation]:
    return [
        *required(mapping_required("export_stage_changes")),
        unique("deal_id", "changed_at", "to_stage_code"),
        _stage_codes(context, "from_stage_code"),
        _stage_codes(context, "to_stage_code"),
        not_in_future("changed_at", context),
        row_count_within_bounds(context),
    ]


# ---------------------------------------------------------------------------------------------------- raw: hubspot
def _raw_hubspot__deals(context: BuildContext) -> list[Expectation]:
    return [
        *required(["id", "dealname", "pipeline", "dealstage", "createdate"]),
        unique("id"),
        _mapped_stages("dealstage", "hubspot", context),
        non_negative("amount"),
        not_in_future("createdate", context),
        not_in_future("hs_lastmodifieddate", context),
        row_count_within_bounds(context),
    ]


def _raw_hubspot__contacts(context: BuildContext) -> list[Expectation]:
    return [
        *required(["id", "createdate"]),
        unique("id"),
        matches("email", EMAIL, "email looks like an e-mail address"),
        # HubSpot keeps phones as typed and so does the loader: typed Chinese formats are fine.
        matches("phone", PHONE_TYPED, "phone looks like a phone number (mobile, landline or +<country>)"),
        not_in_future("createdate", context),
        not_in_future("lastmodifieddate", context),
        row_count_within_bounds(context),
    ]


# ------------------------------------------------------------------------------------------------- raw: salesforce
def _raw_salesforce__opportunities(context: BuildContext) -> list[Expectation]:
    return [
        *required(["id", "name", "stage_name", "close_date", "created_date", "system_modstamp"]),
        unique("id"),
        _mapped_stages("stage_name", "salesforce", context),
        non_negative("amount"),
        _fx_currency("currency_iso_code", context),
        not_in_future("created_date", context),
        not_in_future("system_modstamp", context),
        row_count_within_bounds(context),
    ]


def _raw_salesforce__opportunity_history(context: BuildContext) -> list[Expectation]:
    return [
        *required(["id", "opportunity_id", "stage_name", "created_date"]),
        unique("id"),
        _mapped_stages("stage_name", "salesforce", context),
        non_negative("amount"),
        not_in_future("created_date", context),
        row_count_within_bounds(context),
    ]


# -------------------------------------------------------------------------------------------------- raw: pipedrive
# A deal's place in the funnel: its stage's name while open (the deal holds only stage_id), won / lost once closed,
# as funnel_stage_map.csv lists Pipedrive's stages.
PIPEDRIVE_DEALS_QUERY = """
select
    deals.*,
    case when deals.status in ('won', 'lost') then deals.status else stages.name end as funnel_stage
from raw_pipedrive.deals as deals
left join raw_pipedrive.stages as stages
    on deals.stage_id = stages.id
"""


def _raw_pipedrive__deals(context: BuildContext) -> list[Expectation]:
    return [
        *required(["id", "title", "pipeline_id", "stage_id", "status", "add_time", "update_time"]),
        unique("id"),
        in_set("status", ["open", "won", "lost"], "status is open, won or lost"),
        _mapped_stages("funnel_stage", "pipedrive", context),
        non_negative("value"),
        _fx_currency("currency", context),
        not_in_future("add_time", context),
        not_in_future("update_time", context),
        row_count_within_bounds(context),
    ]


def _raw_pipedrive__deal_stage_changes(context: BuildContext) -> list[Expectation]:
    return [
        *required(["change_id", "deal_id", "to_stage_id", "changed_at"]),
        unique("change_id"),
        not_in_future("changed_at", context),
        row_count_within_bounds(context),
    ]


# ------------------------------------------------------------------------------------------------------- raw: zoho
# raw_zoho (ingestion/zoho/rows.py): Zoho's API names in snake_case; Stage holds the stage's display value, which
# funnel_stage_map.csv lists for source zoho.
def _raw_zoho__deals(context: BuildContext) -> list[Expectation]:
    return [
        *required(["id", "deal_name", "stage", "created_time", "modified_time"]),
        unique("id"),
        _mapped_stages("stage", "zoho", context),
        non_negative("amount"),
        _fx_currency("currency", context),
        not_in_future("created_time", context),
        not_in_future("modified_time", context),
        row_count_within_bounds(context),
    ]


def _raw_zoho__deal_stage_history(context: BuildContext) -> list[Expectation]:
    return [
        *required(["id", "deal_id", "stage", "modified_time"]),
        unique("id"),
        _mapped_stages("stage", "zoho", context),
        non_negative("amount"),
        not_in_future("modified_time", context),
        row_count_within_bounds(context),
    ]


# ------------------------------------------------------------------------------------------------ raw: YAML CRMs
# raw_<name> of a YAML CRM (ingestion/rest_crm/columns.py): the canonical columns; `stage` is the CRM's label (the
# 中文 one for fxiaoke), which funnel_stage_map.csv lists under the CRM's name.
def rest_crm_deals(crm: str) -> Callable[[BuildContext], list[Expectation]]:
    def build(context: BuildContext) -> list[Expectation]:
        return [
            *required(["deal_id", "deal_name", "stage", "created_at", "modified_at"]),
            unique("deal_id"),
            _mapped_stages("stage", crm, context),
            non_negative("amount"),
            _fx_currency("currency_code", context),
            not_in_future("created_at", context),
            not_in_future("modified_at", context),
            row_count_within_bounds(context),
        ]

    return build


def rest_crm_stage_changes(crm: str) -> Callable[[BuildContext], list[Expectation]]:
    def build(context: BuildContext) -> list[Expectation]:
        return [
            *required(["change_id", "deal_id", "stage", "changed_at"]),
            unique("change_id"),
            _mapped_stages("stage", crm, context),
            not_in_future("changed_at", context),
            row_count_within_bounds(context),
        ]

    return build


def rest_crm_suites(crm: str, label: str) -> list[Suite]:
    """The suites of a YAML CRM's deals and stage changes (raw_<crm>)."""
    return [
        Suite(
            f"raw_{crm}__deals",
            f"raw_{crm}.deals",
            f"select * from raw_{crm}.deals",
            rest_crm_deals(crm),
            f"{label} deals: required fields, mapped stages, amounts, currencies with a rate, no future dates.",
            ("deal_id",),
        ),
        Suite(
            f"raw_{crm}__deal_stage_changes",
            f"raw_{crm}.deal_stage_changes",
            f"select * from raw_{crm}.deal_stage_changes",
            rest_crm_stage_changes(crm),
            f"{label} stage changes: required fields, one row per change, mapped stages, no future changes.",
            ("change_id",),
        ),
    ]


# ------------------------------------------------------------------------------------------------ raw: quarantine
def quarantine_share_query(source: str) -> str:
    """One row per problem of the source's open quarantine (an unknown stage with its value, else the field and
    the reason without its values) with its row count; `over_limit` names it when, at the inputs' latest read,
    more than MAX_QUARANTINED_ROW_SHARE of the rows read were quarantined."""
    return f"""
with latest as (
    select
        input_name,
        rows_read,
        rows_quarantined,
        row_number() over (partition by input_name order by reconciled_at desc) as recency
    from raw_{source}.reconciliation
    where status = 'loaded'
),
totals as (
    select coalesce(sum(rows_read), 0) as rows_read, coalesce(sum(rows_quarantined), 0) as rows_quarantined
    from latest
    where recency = 1
),
problems as (
    select
        case
            when reason like 'unknown stage%' then field || ' ' || coalesce(raw_value, '')
            else field || ': ' || regexp_replace(reason, '''[^'']*''', '''…''', 'g')
        end as problem,
        count(*) as quarantined_rows
    from raw_{source}.quarantine
    where row_number > 0
    group by 1
)
select
    problems.problem,
    problems.quarantined_rows,
    totals.rows_read,
    totals.rows_quarantined,
    case
        when totals.rows_quarantined > {MAX_QUARANTINED_ROW_SHARE} * totals.rows_read
            then problems.problem || ' (' || problems.quarantined_rows || ' rows)'
    end as over_limit
from problems
cross join totals
order by problems.quarantined_rows desc, problems.problem
"""


def _raw__quarantine(context: BuildContext) -> list[Expectation]:
    return [
        is_null(
            "over_limit",
            f"at most {MAX_QUARANTINED_ROW_SHARE:.0%} of the rows read are quarantined (else the problems are "
            "listed: `funnelhouse quarantine` shows each with an example and the fix)",
        ),
    ]


# ----------------------------------------------------------------------------------------------- deal coverage
# Why a deal the marts leave out is a mapping gap (legitimate exclusions: archived, created or staged after the
# as-of day), the source values to map, and the channel value no row of channel_map knows.
LEGITIMATE_EXCLUSIONS = ("archived", "created_after_as_of", "no_stage_as_of")
DEAL_COVERAGE_QUERY = f"""
with deals as (
    select deal_id, source, exclusion_reason from intermediate.int_deals
),
unioned as (
    select deal_id, channel_field, channel_value from intermediate.int_deals_unioned
),
channel_map as (
    select distinct source_field, lower(trim(source_value)) as value_key from funnel_config.channel_map
),
unmapped_stages as (
    select deal_id, string_agg(distinct source || ' ' || source_stage, ', ') as stage_values
    from intermediate.int_deal_stage_changes
    where stage_code is null
    group by deal_id
)
select
    deals.deal_id,
    deals.source,
    case
        when deals.exclusion_reason is null
            or deals.exclusion_reason in ({", ".join(f"'{r}'" for r in LEGITIMATE_EXCLUSIONS)}) then null
        when deals.exclusion_reason = 'unmapped_stage'
            then 'stage ' || coalesce(unmapped_stages.stage_values, deals.source)
        else deals.exclusion_reason || ' (' || deals.source || ')'
    end as mapping_gap,
    case
        when unioned.channel_value is not null and trim(unioned.channel_value) <> '' and channel_map.value_key is null
            then unioned.channel_field || ' ' || trim(unioned.channel_value)
    end as unknown_channel,
    count(case when deals.exclusion_reason is null then 1 end) over () as deals_in_marts
from deals
left join unioned
    on deals.deal_id = unioned.deal_id
left join channel_map
    on unioned.channel_field = channel_map.source_field
    and lower(trim(unioned.channel_value)) = channel_map.value_key
left join unmapped_stages
    on deals.deal_id = unmapped_stages.deal_id
"""


def _intermediate__deal_coverage(context: BuildContext) -> list[Expectation]:
    return [
        is_null(
            "mapping_gap",
            f"at most {MAX_EXCLUDED_DEAL_SHARE:.0%} of the deals loaded are left out of the marts for a mapping gap "
            "(values listed: add them to dbt_project/seeds/funnel/funnel_stage_map.csv)",
            max_share=MAX_EXCLUDED_DEAL_SHARE,
        ),
        is_null(
            "mapping_gap",
            "every deal's stage is in dbt_project/seeds/funnel/funnel_stage_map.csv (a deal in an unmapped stage is "
            "left out of the marts)",
            severity=WARN,
        ),
        is_null(
            "unknown_channel",
            f"at most {MAX_UNKNOWN_CHANNEL_SHARE:.0%} of the deals have a channel value channel_map does not know "
            "(values listed: add them to dbt_project/seeds/funnel/channel_map.csv)",
            max_share=MAX_UNKNOWN_CHANNEL_SHARE,
        ),
        is_null(
            "unknown_channel",
            "every channel value is in dbt_project/seeds/funnel/channel_map.csv (unknown ones count as 'other')",
            severity=WARN,
        ),
        between("deals_in_marts", 1, None,
                description="the marts are not empty when deals were loaded (fct_deals has at least one deal)"),
    ]


# ---------------------------------------------------------------------------------------------------------- marts
FUNNEL_QUERY = """
with conversion as (
    select * from marts.mart_funnel_conversion
),
-- along the open stages and won, in stage order, within one segment
funnel as (
    select
        segment_type,
        segment_value,
        stage_code,
        lag(stage_code) over segment_funnel as previous_stage_code,
        lag(reached) over segment_funnel as previous_stage_reached,
        lag(cumulative_conversion_rate) over segment_funnel as previous_stage_rate
    from conversion
    where stage_type <> 'lost'
    window segment_funnel as (partition by segment_type, segment_value order by stage_order)
)
select
    conversion.*,
    funnel.previous_stage_code,
    funnel.previous_stage_reached,
    coalesce(
        conversion.reached > funnel.previous_stage_reached
        or conversion.cumulative_conversion_rate > funnel.previous_stage_rate,
        false
    ) as widens,
    conversion.reached > conversion.deals_in_segment as reached_exceeds_segment
from conversion
left join funnel
    on conversion.segment_type = funnel.segment_type
    and conversion.segment_value = funnel.segment_value
    and conversion.stage_code = funnel.stage_code
order by conversion.segment_type, conversion.segment_value, conversion.stage_order
"""


def _marts__mart_funnel_conversion(context: BuildContext) -> list[Expectation]:
    return [
        *required(["segment_type", "segment_value", "stage_code", "stage_order", "as_of_date"]),
        unique("segment_type", "segment_value", "stage_code"),
        _stage_codes(context, "stage_code"),
        *(
            non_negative(column)
            for column in ("deals_in_segment", "reached", "entered", "advanced", "won_later", "lost_here")
        ),
        rate("adjacent_conversion_rate"),
        rate("cumulative_conversion_rate"),
        rate("win_rate"),
        is_false("reached_exceeds_segment", "reached is at most deals_in_segment"),
        is_false(
            "widens",
            "the funnel never widens: along the open stages and won, reached and cumulative_conversion_rate "
            "never increase within a segment",
        ),
        row_count_within_bounds(context),
    ]


FUNNEL_RECONCILIATION_QUERY = """
with mart as (
    select
        segment_type,
        stage_code,
        sum(entered) as mart_entered,
        sum(deals_in_segment) as mart_deals,
        sum(case when stage_code = 'won' then won_later end) as mart_won
    from marts.mart_funnel_conversion
    group by segment_type, stage_code
),
segment_types as (
    select 'overall' as segment_type
    union
    select distinct segment_type from mart
),
events as (
    select to_stage_code as stage_code, count(distinct deal_id) as events_entered
    from marts.fct_deal_stage_events
    group by to_stage_code
),
deals as (
    select count(*) as fct_deals, count(case when is_won then 1 end) as fct_won
    from marts.fct_deals
),
expected as (
    select segment_types.segment_type, events.stage_code, events.events_entered
    from segment_types
    cross join events
)
select
    coalesce(mart.segment_type, expected.segment_type) as segment_type,
    coalesce(mart.stage_code, expected.stage_code) as stage_code,
    coalesce(mart.mart_entered, 0) as mart_entered,
    coalesce(expected.events_entered, 0) as events_entered,
    coalesce(mart.mart_entered, 0) - coalesce(expected.events_entered, 0) as entered_difference,
    mart.mart_deals,
    deals.fct_deals,
    mart.mart_deals - deals.fct_deals as deals_difference,
    mart.mart_won,
    deals.fct_won,
    mart.mart_won - deals.fct_won as won_difference
from mart
full join expected
    on mart.segment_type = expected.segment_type
    and mart.stage_code = expected.stage_code
cross join deals
order by 1, 2
"""


def _marts__funnel_reconciliation(context: BuildContext) -> list[Expectation]:
    return [
        between(
            "entered_difference",
            0,
            0,
            description="per stage (overall, and summed over the values of each segment type) entered equals the "
            "deals entering it in fct_deal_stage_events (count distinct deal_id by to_stage_code)",
        ),
        between(
            "deals_difference",
            0,
            0,
            description="deals_in_segment summed over a segment type's values equals the deals in fct_deals",
        ),
        between("won_difference", 0, 0,
                description="won_later at stage won (deals won as of the as-of day) equals the won deals in fct_deals"),
    ]


def _marts__fct_deals(context: BuildContext) -> list[Expectation]:
    return [
        *required(["deal_id", "source", "current_stage_code", "created_at", "as_of_date"]),
        unique("deal_id"),
        _stage_codes(context, "current_stage_code"),
        in_set("status_flags", [1], "exactly one of is_open, is_won, is_lost"),
        non_negative("amount_cny"),
        is_false("created_after_as_of", "created_date is not after as_of_date"),
        is_false("closed_after_as_of", "closed_date is not after as_of_date"),
        row_count_within_bounds(context),
    ]


def _marts__fct_deal_stage_events(context: BuildContext) -> list[Expectation]:
    return [
        *required(["stage_event_id", "deal_id", "to_stage_code", "direction", "changed_at"]),
        unique("stage_event_id"),
        _stage_codes(context, "from_stage_code"),
        _stage_codes(context, "to_stage_code"),
        in_set(
            "direction", ["entry", "forward", "backward", "lost", "reopened"],
            "direction is entry, forward, backward, lost or reopened (out of won or lost)"
        ),
        is_false("changed_after_as_of", "changed_date is not after as_of_date"),
        row_count_within_bounds(context),
    ]


def _marts__mart_stale_deals(context: BuildContext) -> list[Expectation]:
    return [
        *required(["deal_id", "current_stage_code", "days_in_stage", "as_of_date"]),
        unique("deal_id"),
        in_set(
            "current_stage_code",
            context.stage_codes(stage_type="open"),
            "a stale deal is in an open stage of seeds/funnel/funnel_stages.csv",
        ),
        non_negative("days_over_threshold"),
        non_negative("amount_reporting"),
        is_false("entered_after_as_of", "current_stage_entered_at is not after as_of_date"),
        row_count_within_bounds(context),
    ]


def _marts__mart_stage_velocity(context: BuildContext) -> list[Expectation]:
    return [
        *required(["stage_code", "measure", "deals_measured", "as_of_date"]),
        unique("stage_code", "measure"),
        _stage_codes(context, "stage_code"),
        in_set("measure", ["time_in_stage", "cycle_length"], "measure is time_in_stage or cycle_length"),
        non_negative("deals_measured"),
        non_negative("min_days"),
        is_false("out_of_order", "min_days <= median_days <= p90_days <= max_days and min <= avg <= max"),
        row_count_within_bounds(context),
    ]


def _marts__mart_loss_reasons(context: BuildContext) -> list[Expectation]:
    return [
        *required(["lost_month", "loss_reason_code", "lost_deals", "share_of_month", "as_of_date"]),
        rate("share_of_month"),
        between(
            "month_share_total",
            1 - SHARE_SUM_TOLERANCE,
            1 + SHARE_SUM_TOLERANCE,
            description=f"a month's shares add up to 1 (± {SHARE_SUM_TOLERANCE})",
        ),
        between("lost_deals", 1, None, description="lost_deals is at least 1"),
        non_negative("amount_lost_reporting"),
        is_false("lost_after_as_of", "lost_month is not after as_of_date"),
        row_count_within_bounds(context),
    ]


# ------------------------------------------------------------------------------------------------------ registry
_ALL = [
    Suite(
        "raw_forms__form_submissions",
        "raw_forms.form_submissions",
        "select *, email is null and phone is null as has_no_contact from raw_forms.form_submissions",
        _raw_forms__form_submissions,
        "Web-form leads: required fields, one contact, email and phone formats, no future submissions.",
        ("submission_id",),
    ),
    Suite(
        "raw_spreadsheets__tracker_deals",
        "raw_spreadsheets.tracker_deals",
        "select * from raw_spreadsheets.tracker_deals",
        _raw_spreadsheets__tracker_deals,
        "Regional sales trackers: required fields, valid stage codes, amounts, phones, stage dates.",
        ("source_file", "source_row"),
    ),
    Suite(
        "raw_spreadsheets__export_deals",
        "raw_spreadsheets.export_deals",
        "select * from raw_spreadsheets.export_deals",
        _raw_spreadsheets__export_deals,
        "CRM export deals: required fields, valid stage codes, amounts, phone and email formats, dates.",
        ("deal_id",),
    ),
    Suite(
        "raw_spreadsheets__export_stage_changes",
        "raw_spreadsheets.export_stage_changes",
        "select * from raw_spreadsheets.export_stage_changes",
        _raw_spreadsheets__export_stage_changes,
        "CRM export stage history: required fields, valid stage codes, no future changes.",
        ("deal_id", "changed_at"),
    ),
    *(
        Suite(
            f"raw_{source}__quarantine",
            f"raw_{source}.quarantine",
            quarantine_share_query(source),
            _raw__quarantine,
            f"{source.capitalize()} quarantine: at most {MAX_QUARANTINED_ROW_SHARE:.0%} of the rows read are "
            "quarantined; over it, the problems to fix are listed.",
            ("problem",),
        )
        for source in ("forms", "spreadsheets")
    ),
    Suite(
        "raw_hubspot__deals",
        "raw_hubspot.deals",
        "select * from raw_hubspot.deals",
        _raw_hubspot__deals,
        "HubSpot deals: required fields, mapped deal stages, amounts, no future dates.",
        ("id",),
    ),
    Suite(
        "raw_hubspot__contacts",
        "raw_hubspot.contacts",
        "select * from raw_hubspot.contacts",
        _raw_hubspot__contacts,
        "HubSpot contacts: required fields, email and phone formats, no future dates.",
        ("id",),
    ),
    Suite(
        "raw_salesforce__opportunities",
        "raw_salesforce.opportunities",
        "select * from raw_salesforce.opportunities",
        _raw_salesforce__opportunities,
        "Salesforce opportunities: required fields, mapped stages, amounts, currencies with a rate, no future dates.",
        ("id",),
    ),
    Suite(
        "raw_salesforce__opportunity_history",
        "raw_salesforce.opportunity_history",
        "select * from raw_salesforce.opportunity_history",
        _raw_salesforce__opportunity_history,
        "Salesforce stage history: required fields, mapped stages, amounts, no future changes.",
        ("id",),
    ),
    Suite(
        "raw_pipedrive__deals",
        "raw_pipedrive.deals",
        PIPEDRIVE_DEALS_QUERY,
        _raw_pipedrive__deals,
        "Pipedrive deals: required fields, open/won/lost, mapped stages, values, currencies with a rate, no future "
        "dates.",
        ("id",),
    ),
    Suite(
        "raw_pipedrive__deal_stage_changes",
        "raw_pipedrive.deal_stage_changes",
        "select * from raw_pipedrive.deal_stage_changes",
        _raw_pipedrive__deal_stage_changes,
        "Pipedrive stage moves (from each deal's changelog): required fields, one row per move, no future moves.",
        ("change_id",),
    ),
    Suite(
        "raw_zoho__deals",
        "raw_zoho.deals",
        "select * from raw_zoho.deals",
        _raw_zoho__deals,
        "Zoho deals: required fields, mapped stages, amounts, currencies with a rate, no future dates.",
        ("id",),
    ),
    Suite(
        "raw_zoho__deal_stage_history",
        "raw_zoho.deal_stage_history",
        "select * from raw_zoho.deal_stage_history",
        _raw_zoho__deal_stage_history,
        "Zoho Stage_History (each deal's related list): required fields, mapped stages, amounts, no future moves.",
        ("id",),
    ),
    *rest_crm_suites("fxiaoke", "纷享销客 fxiaoke 商机"),
    Suite(
        "intermediate__int_deals__coverage",
        "intermediate.int_deals",
        DEAL_COVERAGE_QUERY,
        _intermediate__deal_coverage,
        "Deal coverage: the marts are not empty, few deals are left out for an unmapped stage or have an unknown "
        "channel; the values to map are listed.",
        ("deal_id",),
    ),
    Suite(
        "marts__fct_deals",
        "marts.fct_deals",
        """
        select
            *,
            coalesce(cast(is_open as integer), 0) + coalesce(cast(is_won as integer), 0)
                + coalesce(cast(is_lost as integer), 0) as status_flags,
            coalesce(created_date > as_of_date, false) as created_after_as_of,
            coalesce(closed_date > as_of_date, false) as closed_after_as_of
        from marts.fct_deals
        """,
        _marts__fct_deals,
        "Deals fact: one status per deal, valid stages, amounts, no dates after the as-of day.",
        ("deal_id",),
    ),
    Suite(
        "marts__fct_deal_stage_events",
        "marts.fct_deal_stage_events",
        """
        select
            events.*,
            coalesce(events.changed_date > deals.as_of_date, false) as changed_after_as_of
        from marts.fct_deal_stage_events as events
        left join marts.fct_deals as deals
            on events.deal_id = deals.deal_id
        """,
        _marts__fct_deal_stage_events,
        "Stage events fact: valid stages and directions, no changes after the as-of day.",
        ("stage_event_id",),
    ),
    Suite(
        "marts__mart_funnel_conversion",
        "marts.mart_funnel_conversion",
        FUNNEL_QUERY,
        _marts__mart_funnel_conversion,
        "Funnel conversion: rates within [0, 1], the funnel never widens along the stages.",
        ("segment_type", "segment_value", "stage_code"),
    ),
    Suite(
        "marts__mart_funnel_conversion__reconciliation",
        "marts.mart_funnel_conversion",
        FUNNEL_RECONCILIATION_QUERY,
        _marts__funnel_reconciliation,
        "Funnel stage counts reconcile with fct_deal_stage_events and fct_deals.",
        ("segment_type", "stage_code"),
    ),
    Suite(
        "marts__mart_stale_deals",
        "marts.mart_stale_deals",
        """
        select
            *,
            coalesce(cast(current_stage_entered_at as date) > as_of_date, false) as entered_after_as_of
        from marts.mart_stale_deals
        """,
        _marts__mart_stale_deals,
        "Stale deals: open stages only, non-negative overdue days and amounts, no entries after the as-of day.",
        ("deal_id",),
    ),
    Suite(
        "marts__mart_stage_velocity",
        "marts.mart_stage_velocity",
        """
        select
            *,
            coalesce(
                not (min_days <= median_days and median_days <= p90_days and p90_days <= max_days
                     and min_days <= avg_days and avg_days <= max_days),
                false
            ) as out_of_order
        from marts.mart_stage_velocity
        """,
        _marts__mart_stage_velocity,
        "Stage velocity: valid stages and measures, day statistics non-negative and in order.",
        ("stage_code", "measure"),
    ),
    Suite(
        "marts__mart_loss_reasons",
        "marts.mart_loss_reasons",
        """
        select
            *,
            sum(share_of_month) over (partition by lost_month) as month_share_total,
            coalesce(lost_month > as_of_date, false) as lost_after_as_of
        from marts.mart_loss_reasons
        """,
        _marts__mart_loss_reasons,
        "Loss reasons: shares within [0, 1] adding up to 1 per month, counts and amounts.",
        ("lost_month", "loss_reason_code", "lost_from_stage_code"),
    ),
]

SUITES: dict[str, Suite] = {suite.name: suite for suite in _ALL}
assert len(SUITES) == len(_ALL), "suite names must be unique"


def suites_for_table(table: str) -> list[Suite]:
    """The suites whose asset check sits on `table` ("schema.table", case-insensitive)."""
    wanted = table.strip().lower()
    return [suite for suite in SUITES.values() if suite.table.lower() == wanted]


__all__ = ["ERROR", "WARN", "BuildContext", "SUITES", "Suite", "suites_for_table"]
