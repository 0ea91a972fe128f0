{#- The dated columns of the mapping.yaml deal sheets (`enters`: Maven's engage_date → Engaging, close_date → its
    won/lost stage) in the canonical stage-change shape (macros/union_sources.sql). A closing date counts only when
    the deal's stage is won or lost. -#}
with

sheet_stage_dates as (

    select * from {{ ref('stg_spreadsheets__deal_stage_dates') }}

),

stages as (

    select * from {{ ref('funnel_stages') }}

),

final as (

    select
        {{ dbt.concat(["dates.source_name", "':'", "dates.deal_id"]) }} as deal_id,
        dates.stage_raw as source_stage,
        dates.ingested_stage_code,
        cast(dates.entered_on as {{ dbt.type_timestamp() }}) as changed_at,
        dates.source_load_id

    from sheet_stage_dates as dates

    left join stages as closing_stage
        on dates.ingested_stage_code = closing_stage.stage_code

    where not dates.is_closing or closing_stage.stage_type in ('won', 'lost')

)

select * from final
