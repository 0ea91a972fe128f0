{#- Pipedrive persons in the canonical person-record shape (macros/union_sources.sql), with their organization's
    name key. -#}
with

persons as (

    select * from {{ ref('stg_pipedrive__persons') }}

),

organizations as (

    select * from {{ ref('stg_pipedrive__organizations') }}

),

final as (

    select
        'pipedrive_contact' as record_source,
        cast(persons.person_id as {{ dbt.type_string() }}) as record_id,
        persons.email_hash,
        persons.phone_hash,
        persons.person_name_key as name_key,
        organizations.company_name_key

    from persons

    left join organizations
        on persons.organization_id = organizations.organization_id

)

select * from final
