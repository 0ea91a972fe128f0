{#- How long deals take, one row per funnel stage.
      Open stages (measure time_in_stage): days a deal spent in the stage before leaving it, summed over its visits
      (a backward move brings it back), from stage changes whose entry and exit times are both known (inferred
      tracker stages count only for the stage before the current one: 上一阶段停留时长). Deals still in the
      stage are not measured. A skipped stage has no time in it.
      Won and lost (measure cycle_length): days from creation to closing, for deals with a known creation time.
    Days have fractions (seconds / 86400). -#}
with

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

stays as (

    select
        deal_id,
        to_stage_code as stage_code,
        sum(days_in_stage) as days

    from events

    where days_in_stage is not null

    group by 1, 2

),

cycles as (

    select
        deal_id,
        case when is_won then 'won' else 'lost' end as stage_code,
        cycle_days as days

    from deals

    where cycle_days is not null and (is_won or is_lost)

),

measured as (

    select * from stays
    union all
    select * from cycles

),

stats as (

    select
        stage_code,
        count(*) as deals_measured,
        avg(days) as avg_days,
        {{ percentile('days', 0.5) }} as median_days,
        {{ percentile('days', 0.9) }} as p90_days,
        min(days) as min_days,
        max(days) as max_days

    from measured

    group by 1

),

final as (

    select
        stages.stage_code,
        stages.stage_order,
        stages.name_zh as stage_name_zh,
        stages.name_en as stage_name_en,
        stages.stage_type,
        case when stages.stage_type = 'open' then 'time_in_stage' else 'cycle_length' end as measure,
        cast(coalesce(stats.deals_measured, 0) as {{ dbt.type_int() }}) as deals_measured,
        cast(round(stats.avg_days, 2) as {{ dbt.type_numeric() }}) as avg_days,
        cast(round(stats.median_days, 2) as {{ dbt.type_numeric() }}) as median_days,
        cast(round(stats.p90_days, 2) as {{ dbt.type_numeric() }}) as p90_days,
        cast(round(stats.min_days, 2) as {{ dbt.type_numeric() }}) as min_days,
        cast(round(stats.max_days, 2) as {{ dbt.type_numeric() }}) as max_days,
        {{ as_of_date() }} as as_of_date

    from stages

    left join stats
        on stages.stage_code = stats.stage_code

)

select * from final
