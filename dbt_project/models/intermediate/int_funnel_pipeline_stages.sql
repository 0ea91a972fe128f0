with

stage_map as (

    select * from {{ ref('funnel_stage_map') }}

),

stages as (

    select * from {{ ref('funnel_stages') }}

),

pipeline_stages as (

    select distinct
        stage_map.source as stage_source,
        coalesce(stage_map.pipeline_id, 'default') as pipeline_id,
        stages.stage_code,
        stages.stage_order,
        stages.stage_type

    from stage_map

    inner join stages
        on stage_map.stage_code = stages.stage_code

),

ranked as (

    -- position among the pipeline's own open and won stages: a pipeline without 意向 skips nothing going 线索 → 需求确认
    select
        stage_source,
        pipeline_id,
        stage_code,
        dense_rank() over (
            partition by stage_source, pipeline_id
            order by stage_order
        ) as pipeline_stage_rank

    from pipeline_stages

    where stage_type <> 'lost'

),

final as (

    select
        {{ dbt.concat([
            "pipeline_stages.stage_source", "'|'", "pipeline_stages.pipeline_id", "'|'", "pipeline_stages.stage_code"
        ]) }} as pipeline_stage_key,
        pipeline_stages.stage_source,
        pipeline_stages.pipeline_id,
        pipeline_stages.stage_code,
        pipeline_stages.stage_order,
        pipeline_stages.stage_type,
        ranked.pipeline_stage_rank

    from pipeline_stages

    left join ranked
        on
            pipeline_stages.stage_source = ranked.stage_source
            and pipeline_stages.pipeline_id = ranked.pipeline_id
            and pipeline_stages.stage_code = ranked.stage_code

)

select * from final
