{#- The companies of every YAML CRM (<name>_company) and the company of each of its contacts with the contact's email
    domain (<name>_contact), in the canonical company-record shape (macros/union_sources.sql), each row with its
    CRM's name as source_name. -#}
with

companies as (

    select * from {{ ref('stg_rest_crm__companies') }}

),

people as (

    select * from {{ ref('stg_rest_crm__people') }}

),

final as (

    select
        source_name,
        {{ dbt.concat(["source_name", "'_company'"]) }} as record_source,
        1 as source_priority,
        company_id as record_id,
        company_id as company_source_id,
        company_name,
        company_name_key,
        domain as email_domain,
        industry,
        employee_count

    from companies

    union all

    select
        people.source_name,
        {{ dbt.concat(["people.source_name", "'_contact'"]) }} as record_source,
        4 as source_priority,
        people.person_id as record_id,
        people.company_id as company_source_id,
        coalesce(companies.company_name, people.company_name) as company_name,
        coalesce(companies.company_name_key, people.company_name_key) as company_name_key,
        people.email_domain,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from people

    left join companies
        on
            people.source_name = companies.source_name
            and people.company_id = companies.company_id

    where people.person_type = 'contact'

)

select * from final
