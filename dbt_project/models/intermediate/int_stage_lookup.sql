{#- Every source stage value the funnel map knows, keyed for a case- and space-insensitive lookup
    (ingestion matches stage values the same loose way). -#}
with

stage_map as (

    select * from {{ ref('funnel_stage_map') }}

),

stages as (

    select * from {{ ref('funnel_stages') }}

),

final as (

    select
        stage_map.source as stage_source,
        {{ lookup_key("replace(stage_map.source_stage, ' ', '')") }} as source_stage_key,
        min(stage_map.source_stage) as source_stage,
        min(stage_map.stage_code) as stage_code,
        min(coalesce(stage_map.pipeline_id, 'default')) as pipeline_id,
        count(*) as map_rows

    from stage_map

    inner join stages
        on stage_map.stage_code = stages.stage_code

    group by 1, 2

)

select * from final
