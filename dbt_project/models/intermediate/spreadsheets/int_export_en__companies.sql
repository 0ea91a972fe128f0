{#- The accounts of the English export's deals in the canonical company-record shape (macros/union_sources.sql). -#}
with

export_deals as (

    select * from {{ ref('stg_spreadsheets__export_deals') }}

),

final as (

    select
        'export_en' as record_source,
        2 as source_priority,
        export_deal_id as record_id,
        account_name as company_name,
        account_name_key as company_name_key,
        contact_email_domain as email_domain,
        industry,
        company_size

    from export_deals

)

select * from final
