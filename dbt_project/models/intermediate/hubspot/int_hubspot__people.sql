{#- HubSpot contacts in the canonical person-record shape (macros/union_sources.sql). -#}
with

hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

final as (

    select
        'hubspot_contact' as record_source,
        hubspot_contact_id as record_id,
        email_hash,
        phone_hash,
        contact_name_key as name_key,
        company_name_key

    from hubspot_contacts

)

select * from final
