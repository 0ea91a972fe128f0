{#- The recorded stage moves of every YAML CRM's deals in the canonical stage-change shape (macros/union_sources.sql),
    each with the stage it left and its CRM's name as source_name. -#}
with

changes as (

    select * from {{ ref('stg_rest_crm__deal_stage_changes') }}

),

final as (

    select
        source_name,
        {{ dbt.concat(["source_name", "':'", "deal_id"]) }} as deal_id,
        stage_label as source_stage,
        from_stage_label as from_source_stage,
        changed_at,
        change_order,
        source_load_id

    from changes

)

select * from final
