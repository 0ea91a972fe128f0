{#- The customers of the Chinese trackers' deals in the canonical company-record shape (macros/union_sources.sql). -#}
with

tracker_deals as (

    select * from {{ ref('stg_spreadsheets__tracker_deals') }}

),

final as (

    select
        'tracker_cn' as record_source,
        3 as source_priority,
        tracker_deal_id as record_id,
        customer_name as company_name,
        customer_name_key as company_name_key,
        industry,
        company_size

    from tracker_deals

)

select * from final
