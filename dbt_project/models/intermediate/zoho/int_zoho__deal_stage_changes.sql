{#- Zoho's stage history (the Stage_History rows that change Stage) in the canonical stage-change shape
    (macros/union_sources.sql), each move with the stage it left. -#}
with

history as (

    select * from {{ ref('stg_zoho__deal_stage_history') }}

),

final as (

    select
        {{ dbt.concat(["'zoho:'", "deal_id"]) }} as deal_id,
        stage_name as source_stage,
        from_stage_name as from_source_stage,
        changed_at,
        change_order,
        source_load_id

    from history

)

select * from final
