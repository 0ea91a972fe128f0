{#- Zoho contacts and leads in the canonical person-record shape (macros/union_sources.sql), with the name key of
    their account (contacts) or company (leads). -#}
with

contacts as (

    select * from {{ ref('stg_zoho__contacts') }}

),

leads as (

    select * from {{ ref('stg_zoho__leads') }}

),

accounts as (

    select * from {{ ref('stg_zoho__accounts') }}

),

final as (

    select
        'zoho_contact' as record_source,
        contacts.contact_id as record_id,
        contacts.email_hash,
        contacts.phone_hash,
        contacts.contact_name_key as name_key,
        accounts.company_name_key

    from contacts

    left join accounts
        on contacts.account_id = accounts.account_id

    union all

    select
        'zoho_lead' as record_source,
        lead_id as record_id,
        email_hash,
        phone_hash,
        lead_name_key as name_key,
        company_name_key

    from leads

)

select * from final
