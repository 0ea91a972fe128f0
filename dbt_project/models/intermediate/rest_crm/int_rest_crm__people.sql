{#- The leads and contacts of every YAML CRM in the canonical person-record shape (macros/union_sources.sql):
    record_source <name>_lead or <name>_contact (int_deal_links joins a deal's contact on <source>_contact), with the
    name key of the person's company (its company record, else the company name it carries). -#}
with

people as (

    select * from {{ ref('stg_rest_crm__people') }}

),

companies as (

    select * from {{ ref('stg_rest_crm__companies') }}

),

final as (

    select
        people.source_name,
        {{ dbt.concat(["people.source_name", "'_'", "coalesce(people.person_type, 'contact')"]) }} as record_source,
        people.person_id as record_id,
        people.email_hash,
        people.phone_hash,
        people.person_name_key as name_key,
        coalesce(companies.company_name_key, people.company_name_key) as company_name_key

    from people

    left join companies
        on
            people.source_name = companies.source_name
            and people.company_id = companies.company_id

)

select * from final
