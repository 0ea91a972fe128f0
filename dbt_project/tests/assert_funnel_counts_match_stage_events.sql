-- The stage counts of mart_funnel_conversion equal those recomputed straight from fct_deal_stage_events and
-- fct_deals: overall, and summed over the values of every segment type (each deal is in exactly one value).
-- Returns the stages and segment types whose counts differ.
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

won_later as (

    select
        events.to_stage_code as stage_code,
        count(distinct events.deal_id) as won_later

    from events

    inner join deals
        on events.deal_id = deals.deal_id

    where deals.is_won

    group by 1

),

recomputed as (

    select
        entered.stage_code,
        entered.entered,
        coalesce(advanced.advanced, 0) as advanced,
        coalesce(lost_here.lost_here, 0) as lost_here,
        coalesce(won_later.won_later, 0) as won_later

    from entered

    left join advanced
        on entered.stage_code = advanced.stage_code

    left join lost_here
        on entered.stage_code = lost_here.stage_code

    left join won_later
        on entered.stage_code = won_later.stage_code

),

mart_totals as (

    select
        segment_type,
        stage_code,
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
    mart_entered <> events_entered
    or mart_advanced <> events_advanced
    or mart_lost_here <> events_lost_here
    or mart_won_later <> events_won_later
