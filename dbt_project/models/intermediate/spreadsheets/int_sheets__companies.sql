{#- The accounts of the mapping.yaml deal entries and the rows of account lookup sheets (entity companies; first
    for industry, size and employees of the accounts they name), record_source = the entry's name, in the canonical
    company-record shape (macros/union_sources.sql). -#}
with

sheet_deals as (

    select * from {{ ref('stg_spreadsheets__deals') }}

),

sheet_companies as (

    select * from {{ ref('stg_spreadsheets__companies') }}

),

final as (

    select
        source_name as record_source,
        4 as source_priority,
        deal_id as record_id,
        account_name as company_name,
        account_name_key as company_name_key,
        contact_email_domain as email_domain,
        industry,
        company_size,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from sheet_deals

    union all

    select
        source_name as record_source,
        0 as source_priority,
        company_name as record_id,
        company_name,
        company_name_key,
        cast(null as {{ dbt.type_string() }}) as email_domain,
        industry,
        company_size,
        employee_count

    from sheet_companies

)

select * from final
