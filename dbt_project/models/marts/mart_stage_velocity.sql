{#- How long deals take, one row per funnel stage: the overall rows of mart_stage_velocity_by_segment (definitions
    in its header: time in stage for open stages, cycle length for won and lost, in whole calendar days). Every
    stage has a row, with 0 deals measured when no deal is. -#}
with

by_segment as (

    select * from {{ ref('mart_stage_velocity_by_segment') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

overall as (

    select * from by_segment

    where segment_type = 'overall'

),

final as (

    select
        stages.stage_code,
        stages.stage_order,
        stages.name_zh as stage_name_zh,
        stages.name_en as stage_name_en,
        stages.stage_type,
        case when stages.stage_type = 'open' then 'time_in_stage' else 'cycle_length' end as measure,
        cast(coalesce(overall.deals_measured, 0) as {{ dbt.type_int() }}) as deals_measured,
        overall.avg_days,
        overall.median_days,
        overall.p90_days,
        overall.min_days,
        overall.max_days,
        {{ as_of_date() }} as as_of_date

    from stages

    left join overall
        on stages.stage_code = overall.stage_code

)

select * from final
