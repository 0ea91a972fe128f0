{#- Open deals that have sat in their stage longer than the stage allows (funnel_stages.stale_after_days) as of the
    as-of day: days_in_stage = whole days from the day the stage was entered to the as-of day; a deal is stale
    when days_in_stage > stale_after_days (exactly at the threshold is not stale yet). -#}
with

deals as (

    select * from {{ ref('fct_deals') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

owners as (

    select * from {{ ref('dim_owner') }}

),

companies as (

    select * from {{ ref('dim_company') }}

),

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

current_entries as (

    select
        deal_id,
        is_entry_time_known

    from events

    where is_current_stage

),

open_deals as (

    select
        deals.deal_id,
        deals.source,
        deals.deal_name,
        deals.current_stage_code,
        stages.name_zh as stage_name_zh,
        stages.name_en as stage_name_en,
        deals.current_stage_entered_at,
        current_entries.is_entry_time_known as is_stage_entry_known,
        {{ dbt.datediff('cast(deals.current_stage_entered_at as date)', as_of_date(), 'day') }} as days_in_stage,
        stages.stale_after_days,
        deals.owner_id,
        owners.owner_name,
        owners.team_name,
        deals.company_id,
        companies.company_name,
        deals.channel_code,
        deals.amount_reporting,
        {{ as_of_date() }} as as_of_date

    from deals

    inner join stages
        on deals.current_stage_code = stages.stage_code

    left join current_entries
        on deals.deal_id = current_entries.deal_id

    left join owners
        on deals.owner_id = owners.owner_id

    left join companies
        on deals.company_id = companies.company_id

    where deals.is_open

),

final as (

    select
        deal_id,
        source,
        deal_name,
        current_stage_code,
        stage_name_zh,
        stage_name_en,
        current_stage_entered_at,
        is_stage_entry_known,
        cast(days_in_stage as {{ dbt.type_int() }}) as days_in_stage,
        stale_after_days,
        cast(days_in_stage - stale_after_days as {{ dbt.type_int() }}) as days_over_threshold,
        owner_id,
        owner_name,
        team_name,
        company_id,
        company_name,
        channel_code,
        amount_reporting,
        {{ reporting_currency() }} as reporting_currency,
        as_of_date

    from open_deals

    where days_in_stage > stale_after_days

)

select * from final
