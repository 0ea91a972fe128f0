{#- The people on the lead and deal rows of the mapping.yaml entries without `table:` (record_source = the entry's
    name) in the canonical person-record shape (macros/union_sources.sql). -#}
with

sheet_leads as (

    select * from {{ ref('stg_spreadsheets__leads') }}

),

sheet_deals as (

    select * from {{ ref('stg_spreadsheets__deals') }}

),

final as (

    select
        source_name as record_source,
        lead_id as record_id,
        contact_email_hash as email_hash,
        contact_phone_hash as phone_hash,
        contact_name_key as name_key,
        company_name_key

    from sheet_leads

    union all

    select
        source_name as record_source,
        deal_id as record_id,
        contact_email_hash as email_hash,
        contact_phone_hash as phone_hash,
        contact_name_key as name_key,
        account_name_key as company_name_key

    from sheet_deals

)

select * from final
