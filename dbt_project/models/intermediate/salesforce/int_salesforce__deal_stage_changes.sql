{#- Salesforce's stage history (the OpportunityHistory rows that change StageName) in the canonical stage-change
    shape (macros/union_sources.sql), each move with the stage it left. -#}
with

history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}

),

final as (

    select
        {{ dbt.concat(["'salesforce:'", "opportunity_id"]) }} as deal_id,
        stage_name as source_stage,
        from_stage_name as from_source_stage,
        changed_at,
        change_order,
        source_load_id

    from history

)

select * from final
