{#- The English export's deal contacts in the canonical person-record shape (macros/union_sources.sql). -#}
with

export_deals as (

    select * from {{ ref('stg_spreadsheets__export_deals') }}

),

final as (

    select
        'export_en' as record_source,
        export_deal_id as record_id,
        contact_email_hash as email_hash,
        contact_phone_hash as phone_hash,
        contact_name_key as name_key,
        account_name_key as company_name_key

    from export_deals

)

select * from final
