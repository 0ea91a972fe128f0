{#- The Chinese trackers' deals in the canonical deal shape (macros/union_sources.sql). -#}
with

tracker_deals as (

    select * from {{ ref('stg_spreadsheets__tracker_deals') }}

),

final as (

    select
        {{ dbt.concat(["'tracker_cn:'", "tracker_deal_id"]) }} as deal_id,
        'tracker_cn' as source,
        'tracker_cn' as stage_source,
        tracker_deal_id as source_deal_id,
        'default' as pipeline_id,
        customer_name as deal_name,
        stage_raw as current_stage_value,
        ingested_stage_code,
        stage_entered_on,
        previous_stage_days,
        -- the rep's log holds one dated note per stage entered, separated by ；
        case
            when key_actions is not null
                then length(key_actions) - length(replace(key_actions, '；', '')) + 1
        end as key_action_count,
        amount_cny as amount,
        'CNY' as currency_code,
        owner_name,
        owner_name_key,
        team as team_hint,
        customer_name as company_name,
        customer_name_key as company_name_key,
        industry,
        company_size,
        contact_phone_hash,
        contact_name_key,
        false as is_archived,
        false as is_undated,
        source_load_id

    from tracker_deals

)

select * from final
