{#- The English export's stage history in the canonical stage-change shape (macros/union_sources.sql): each move
    with the stage it left, so that a history starting with a move out of a stage dates that stage too. -#}
with

history as (

    select * from {{ ref('stg_spreadsheets__export_stage_changes') }}

),

final as (

    select
        {{ dbt.concat(["'export_en:'", "export_deal_id"]) }} as deal_id,
        to_stage_raw as source_stage,
        ingested_to_stage_code as ingested_stage_code,
        from_stage_raw as from_source_stage,
        ingested_from_stage_code,
        changed_at,
        source_row as change_order,
        source_load_id

    from history

)

select * from final
