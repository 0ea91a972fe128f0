{#- HubSpot's dealstage history in the canonical stage-change shape (macros/union_sources.sql). -#}
with

history as (

    select * from {{ ref('stg_hubspot__deal_stage_history') }}

),

final as (

    select
        {{ dbt.concat(["'hubspot:'", "hubspot_deal_id"]) }} as deal_id,
        deal_stage_id as source_stage,
        changed_at,
        source_load_id

    from history

)

select * from final
