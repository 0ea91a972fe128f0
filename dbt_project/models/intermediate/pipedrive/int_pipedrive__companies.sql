{#- Pipedrive organizations, and the organization of each person with the person's email domain, in the canonical
    company-record shape (macros/union_sources.sql). -#}
with

organizations as (

    select * from {{ ref('stg_pipedrive__organizations') }}

),

persons as (

    select * from {{ ref('stg_pipedrive__persons') }}

),

final as (

    select
        'pipedrive_company' as record_source,
        1 as source_priority,
        cast(organization_id as {{ dbt.type_string() }}) as record_id,
        cast(organization_id as {{ dbt.type_string() }}) as company_source_id,
        organization_name as company_name,
        company_name_key,
        cast(null as {{ dbt.type_string() }}) as email_domain

    from organizations

    union all

    select
        'pipedrive_contact' as record_source,
        4 as source_priority,
        cast(persons.person_id as {{ dbt.type_string() }}) as record_id,
        cast(persons.organization_id as {{ dbt.type_string() }}) as company_source_id,
        organizations.organization_name as company_name,
        organizations.company_name_key,
        persons.email_domain

    from persons

    left join organizations
        on persons.organization_id = organizations.organization_id

)

select * from final
