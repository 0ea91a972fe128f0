-- Along the open stages and won, a segment's funnel never widens: reached (and so the cumulative conversion rate)
-- is never larger than at the stage before. Returns the stages where it is.
with

conversion as (

    select * from {{ ref('mart_funnel_conversion') }}

),

ordered as (

    select
        segment_type,
        segment_value,
        stage_code,
        reached,
        lag(reached) over (
            partition by segment_type, segment_value
            order by stage_order
        ) as previous_stage_reached

    from conversion

    where stage_type <> 'lost'

)

select * from ordered

where reached > previous_stage_reached
