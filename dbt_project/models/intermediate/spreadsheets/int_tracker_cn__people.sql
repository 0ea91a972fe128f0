{#- The Chinese trackers' deal contacts (a phone, no email) in the canonical person-record shape
    (macros/union_sources.sql). -#}
with

tracker_deals as (

    select * from {{ ref('stg_spreadsheets__tracker_deals') }}

),

final as (

    select
        'tracker_cn' as record_source,
        tracker_deal_id as record_id,
        contact_phone_hash as phone_hash,
        contact_name_key as name_key,
        customer_name_key as company_name_key

    from tracker_deals

)

select * from final
