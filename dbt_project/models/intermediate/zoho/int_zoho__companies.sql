{#- Zoho accounts, and the account of each contact with the contact's email domain, in the canonical
    company-record shape (macros/union_sources.sql). -#}
with

accounts as (

    select * from {{ ref('stg_zoho__accounts') }}

),

contacts as (

    select * from {{ ref('stg_zoho__contacts') }}

),

final as (

    select
        'zoho_company' as record_source,
        1 as source_priority,
        account_id as record_id,
        account_id as company_source_id,
        account_name as company_name,
        company_name_key,
        domain as email_domain,
        industry,
        employee_count

    from accounts

    union all

    select
        'zoho_contact' as record_source,
        4 as source_priority,
        contacts.contact_id as record_id,
        contacts.account_id as company_source_id,
        accounts.account_name as company_name,
        accounts.company_name_key,
        contacts.email_domain,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from contacts

    left join accounts
        on contacts.account_id = accounts.account_id

)

select * from final
