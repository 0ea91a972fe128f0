{#- The open pipeline at the end of every day: one row per day, stage, pipeline and owner with the deals open there
    and their amount. Rebuilt from the stage history (fct_deal_stage_events), not recorded night by night: a deal is
    in the stage of its last stage change on or before the day (changes of the same day: the last one counts) and
    is open from its first entry until it enters a won or lost stage (again when it is reopened). Only combinations
    with open deals get a row. Pipeline, owner and amount are the deal's current ones (no history of them).

    Incremental (delete+insert by snapshot_date): a run rebuilds the days from the last snapshot day present (or
    the as-of day when it is earlier) minus var snapshot_lookback_days, up to the as-of day, so a missed night
    leaves no hole; a full refresh builds from the first deal's creation day, and so does a run when that day is
    before the first snapshot day stored (older data was loaded: dim_date grew back to it), or when the deals
    changed since the stored days were built (source_version: the deals in the funnel, their amounts and the funnel
    definition; source_load_id: the newest dlt load of their stage history — a changed amount, owner or pipeline,
    a deleted deal or a back-dated stage change alters past days too). Every row of a rebuilt day is replaced
    (a combination with no open deal any more disappears), and the post-hook removes days after the as-of day (when
    it moved back): the table ends up exactly as a full refresh would have it, and a re-run changes nothing.
    On Spark the days are partitions, replaced by insert_overwrite, and the days after the as-of day are
    dropped (macros/incremental.sql: day_strategy, drop_days_after). -#}
{%- set lookback_days = var('snapshot_lookback_days', 3) | int -%}
{{ config(
    materialized='incremental',
    unique_key='snapshot_date',
    incremental_strategy=day_strategy(),
    partition_by=day_partitions('snapshot_date'),
    on_schema_change='append_new_columns',
    pre_hook=[
        add_column_if_missing('source_version', '{{ dbt.type_string() }}'),
        add_column_if_missing('source_load_id', '{{ dbt.type_string() }}')
    ],
    post_hook=[drop_days_after('snapshot_date', 'as_of_date()')]
) }}

with

deals as (

    select * from {{ ref('fct_deals') }}

),

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

first_day as (

    select min(created_date) as first_date

    from deals

),

deal_totals as (

    select
        count(*) as deal_count,
        -- in cents as a whole number: a decimal's text differs between engines ('0.000000' / '0')
        cast(round(coalesce(sum(amount_reporting), 0) * 100, 0) as {{ dbt.type_bigint() }}) as amount_cents

    from deals

),

event_totals as (

    select
        max(deal_load_id) as deal_load_id,
        max(funnel_version) as funnel_version

    from events

),

source_version as (

    -- what every past day depends on besides the stage history's dates
    select
        {{ dbt.concat([
            "cast(deal_totals.deal_count as " ~ dbt.type_string() ~ ")", "'|'",
            "cast(deal_totals.amount_cents as " ~ dbt.type_string() ~ ")", "'|'",
            "coalesce(event_totals.funnel_version, '')"
        ]) }} as source_version,
        coalesce(event_totals.deal_load_id, '') as source_load_id

    from deal_totals

    cross join event_totals

),

{% if is_incremental() %}

previous_runs as (

    select
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date,
        max(source_version) as source_version,
        max(source_load_id) as source_load_id

    from {{ this }}

),

rebuild_from as (

    select
        case
            when previous_runs.last_snapshot_date is null then first_day.first_date
            when first_day.first_date < previous_runs.first_snapshot_date then first_day.first_date
            when
                previous_runs.source_version is null
                or previous_runs.source_load_id is null
                or previous_runs.source_version <> source_version.source_version
                or previous_runs.source_load_id <> source_version.source_load_id
                then first_day.first_date
            when previous_runs.last_snapshot_date > {{ as_of_date() }}
                then {{ dbt.dateadd('day', -lookback_days, as_of_date()) }}
            else {{ dbt.dateadd('day', -lookback_days, 'previous_runs.last_snapshot_date') }}
        end as start_date,
        first_day.first_date

    from previous_runs

    cross join first_day

    cross join source_version

),

{% else %}

rebuild_from as (

    select
        first_date as start_date,
        first_date

    from first_day

),

{% endif %}

snapshot_days as (

    select calendar.date_day as snapshot_date

    from calendar

    cross join rebuild_from

    where
        calendar.date_day >= rebuild_from.start_date
        and calendar.date_day >= rebuild_from.first_date
        and calendar.date_day <= {{ as_of_date() }}

),

-- each stage a deal entered, from the day it entered it up to (not including) the day of its next stage change
stays as (

    select
        deal_id,
        to_stage_code as stage_code,
        changed_date as entered_date,
        lead(changed_date) over (
            partition by deal_id
            order by event_sequence
        ) as left_date

    from events

),

open_stays as (

    select
        stays.deal_id,
        stays.stage_code,
        stays.entered_date,
        stays.left_date

    from stays

    inner join stages
        on stays.stage_code = stages.stage_code

    where
        stages.stage_type = 'open'
        and (stays.left_date is null or stays.left_date > stays.entered_date)

),

open_deal_days as (

    select
        snapshot_days.snapshot_date,
        open_stays.stage_code,
        deals.pipeline_id,
        coalesce(deals.owner_id, 'unknown') as owner_id,
        deals.amount_reporting

    from open_stays

    inner join snapshot_days
        on
            open_stays.entered_date <= snapshot_days.snapshot_date
            and (open_stays.left_date is null or open_stays.left_date > snapshot_days.snapshot_date)

    inner join deals
        on open_stays.deal_id = deals.deal_id

),

grouped as (

    select
        snapshot_date,
        stage_code,
        pipeline_id,
        owner_id,
        count(*) as open_deals,
        coalesce(sum(amount_reporting), 0) as open_amount_reporting,
        sum(case when amount_reporting is null then 1 else 0 end) as open_deals_without_amount

    from open_deal_days

    group by 1, 2, 3, 4

),

final as (

    select
        grouped.snapshot_date,
        cast(grouped.stage_code as {{ dbt.type_string() }}) as stage_code,
        cast(grouped.pipeline_id as {{ dbt.type_string() }}) as pipeline_id,
        cast(grouped.owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(grouped.open_deals as {{ dbt.type_int() }}) as open_deals,
        cast(grouped.open_amount_reporting as {{ dbt.type_numeric() }}) as open_amount_reporting,
        cast(grouped.open_deals_without_amount as {{ dbt.type_int() }}) as open_deals_without_amount,
        {{ reporting_currency() }} as reporting_currency,
        {{ as_of_date() }} as as_of_date,
        cast(source_version.source_version as {{ dbt.type_string() }}) as source_version,
        cast(source_version.source_load_id as {{ dbt.type_string() }}) as source_load_id

    from grouped

    cross join source_version

)

select * from final
