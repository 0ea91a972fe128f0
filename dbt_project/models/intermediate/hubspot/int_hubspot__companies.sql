{#- HubSpot companies, and the company each HubSpot contact is associated with (its first), in the canonical
    company-record shape (macros/union_sources.sql). -#}
with

hubspot_companies as (

    select * from {{ ref('stg_hubspot__companies') }}

),

hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

hubspot_contact_associations as (

    select * from {{ ref('stg_hubspot__contact_associations') }}

),

contact_company as (

    select
        hubspot_contact_id,
        min(to_object_id) as hubspot_company_id

    from hubspot_contact_associations

    where to_object_type = 'companies'

    group by 1

),

final as (

    select
        'hubspot_company' as record_source,
        1 as source_priority,
        hubspot_company_id as record_id,
        hubspot_company_id as company_source_id,
        company_name,
        company_name_key,
        domain as email_domain,
        industry,
        employee_count

    from hubspot_companies

    union all

    select
        'hubspot_contact' as record_source,
        4 as source_priority,
        hubspot_contacts.hubspot_contact_id as record_id,
        contact_company.hubspot_company_id as company_source_id,
        hubspot_contacts.company_name,
        hubspot_contacts.company_name_key,
        hubspot_contacts.email_domain,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from hubspot_contacts

    left join contact_company
        on hubspot_contacts.hubspot_contact_id = contact_company.hubspot_contact_id

)

select * from final
