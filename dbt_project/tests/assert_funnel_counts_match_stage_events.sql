-- The stage counts of mart_funnel_conversion equal those recomputed straight from fct_deal_stage_events and
-- fct_deals: overall, and summed over the values of every segment type (each deal is in exactly one value).
-- Returns the stages and segment types whose counts differ.
{{ config(meta={'dagster': {'ref': {'name': 'mart_funnel_conversion'}}}) }}

with

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

conversion as (

    select * from {{ ref('mart_funnel_conversion') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

-- A deal reached a stage when it entered that stage or any later one (lost stages: only by entering them).
reach_events as (

    select
        stages.stage_code,
        events.deal_id

    from stages

    inner join stages as entered_stages
        on
            (
                stages.stage_type <> 'lost'
                and entered_stages.stage_type <> 'lost'
                and entered_stages.stage_order >= stages.stage_order
            )
            or (stages.stage_type = 'lost' and entered_stages.stage_code = stages.stage_code)

    inner join events
        on entered_stages.stage_code = events.to_stage_code

),

reached as (

    select
        reach_events.stage_code,
        count(distinct reach_events.deal_id) as reached,
        count(distinct case when deals.is_won then reach_events.deal_id end) as won_later

    from reach_events

    inner join deals
        on reach_events.deal_id = deals.deal_id

    group by 1

),

entered as (

    select
        to_stage_code as stage_code,
        count(distinct deal_id) as entered

    from events

    group by 1

),

advanced as (

    select
        from_stage_code as stage_code,
        count(distinct deal_id) as advanced

    from events

    where direction = 'forward'

    group by 1

),

lost_here as (

    select
        from_stage_code as stage_code,
        count(distinct deal_id) as lost_here

    from events

    where direction = 'lost'

    group by 1

),

recomputed as (

    select
        reached.stage_code,
        reached.reached,
        coalesce(entered.entered, 0) as entered,
        coalesce(advanced.advanced, 0) as advanced,
        coalesce(lost_here.lost_here, 0) as lost_here,
        reached.won_later

    from reached

    left join entered
        on reached.stage_code = entered.stage_code

    left join advanced
        on reached.stage_code = advanced.stage_code

    left join lost_here
        on reached.stage_code = lost_here.stage_code

),

mart_totals as (

    select
        segment_type,
        stage_code,
        sum(reached) as reached,
        sum(entered) as entered,
        sum(advanced) as advanced,
        sum(lost_here) as lost_here,
        sum(won_later) as won_later

    from conversion

    group by 1, 2

),

compared as (

    select
        mart_totals.segment_type,
        mart_totals.stage_code,
        mart_totals.reached as mart_reached,
        coalesce(recomputed.reached, 0) as events_reached,
        mart_totals.entered as mart_entered,
        coalesce(recomputed.entered, 0) as events_entered,
        mart_totals.advanced as mart_advanced,
        coalesce(recomputed.advanced, 0) as events_advanced,
        mart_totals.lost_here as mart_lost_here,
        coalesce(recomputed.lost_here, 0) as events_lost_here,
        mart_totals.won_later as mart_won_later,
        coalesce(recomputed.won_later, 0) as events_won_later

    from mart_totals

    left join recomputed
        on mart_totals.stage_code = recomputed.stage_code

)

select * from compared

where
    mart_reached <> events_reached
    or mart_entered <> events_entered
    or mart_advanced <> events_advanced
    or mart_lost_here <> events_lost_here
    or mart_won_later <> events_won_later
