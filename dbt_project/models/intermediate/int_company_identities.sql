{#- One row per place a company is seen (HubSpot company, form submission, HubSpot contact, tracker row, export
    row, a spreadsheet deal's account, a row of an account lookup sheet), with the company_id it resolves to. The rule:
      1. a HubSpot company is itself; a HubSpot contact or deal associated with a HubSpot company is that company;
      2. a record whose email domain (not a free-mail domain, seed free_email_domains) is a HubSpot company's
         domain → that company;
      3. a record whose normalised name (staging: lower-cased, no spaces or punctuation, legal suffix such as
         有限公司 / Co., Ltd. removed) equals a HubSpot company's → that company;
      4. otherwise records sharing a company email domain → one company, and a name seen with such a domain joins it;
      5. otherwise records with the same normalised name → one company.
    A Chinese short name (华信软件) and an English name (Huaxin Software) of the same company stay apart unless an
    email domain links them. -#}
with

form_submissions as (

    select * from {{ ref('stg_forms__form_submissions') }}

),

hubspot_companies as (

    select * from {{ ref('stg_hubspot__companies') }}

),

hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

hubspot_contact_associations as (

    select * from {{ ref('stg_hubspot__contact_associations') }}

),

tracker_deals as (

    select * from {{ ref('stg_spreadsheets__tracker_deals') }}

),

export_deals as (

    select * from {{ ref('stg_spreadsheets__export_deals') }}

),

sheet_deals as (

    select * from {{ ref('stg_spreadsheets__deals') }}

),

sheet_companies as (

    select * from {{ ref('stg_spreadsheets__companies') }}

),

free_email_domains as (

    select * from {{ ref('free_email_domains') }}

),

contact_company as (

    select
        hubspot_contact_id,
        min(to_object_id) as hubspot_company_id

    from hubspot_contact_associations

    where to_object_type = 'companies'

    group by 1

),

records as (

    select
        'hubspot_company' as record_source,
        1 as source_priority,
        hubspot_company_id as record_id,
        hubspot_company_id,
        company_name,
        company_name_key,
        domain as email_domain,
        industry,
        cast(null as {{ dbt.type_string() }}) as company_size,
        employee_count

    from hubspot_companies

    union all

    select
        'hubspot_contact' as record_source,
        4 as source_priority,
        hubspot_contacts.hubspot_contact_id as record_id,
        contact_company.hubspot_company_id,
        hubspot_contacts.company_name,
        hubspot_contacts.company_name_key,
        hubspot_contacts.email_domain,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_string() }}) as company_size,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from hubspot_contacts

    left join contact_company
        on hubspot_contacts.hubspot_contact_id = contact_company.hubspot_contact_id

    union all

    select
        'forms' as record_source,
        5 as source_priority,
        submission_id as record_id,
        cast(null as {{ dbt.type_string() }}) as hubspot_company_id,
        company_name,
        company_name_key,
        email_domain,
        industry,
        company_size,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from form_submissions

    union all

    select
        'tracker_cn' as record_source,
        3 as source_priority,
        tracker_deal_id as record_id,
        cast(null as {{ dbt.type_string() }}) as hubspot_company_id,
        customer_name as company_name,
        customer_name_key as company_name_key,
        cast(null as {{ dbt.type_string() }}) as email_domain,
        industry,
        company_size,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from tracker_deals

    union all

    select
        'export_en' as record_source,
        2 as source_priority,
        export_deal_id as record_id,
        cast(null as {{ dbt.type_string() }}) as hubspot_company_id,
        account_name as company_name,
        account_name_key as company_name_key,
        contact_email_domain as email_domain,
        industry,
        company_size,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from export_deals

    union all

    select
        source_name as record_source,
        4 as source_priority,
        deal_id as record_id,
        cast(null as {{ dbt.type_string() }}) as hubspot_company_id,
        account_name as company_name,
        account_name_key as company_name_key,
        contact_email_domain as email_domain,
        industry,
        company_size,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from sheet_deals

    union all

    -- account lookup sheets (entity companies): first for industry, size and employees of the accounts they name
    select
        source_name as record_source,
        0 as source_priority,
        company_name as record_id,
        cast(null as {{ dbt.type_string() }}) as hubspot_company_id,
        company_name,
        company_name_key,
        cast(null as {{ dbt.type_string() }}) as email_domain,
        industry,
        company_size,
        employee_count

    from sheet_companies

),

company_domains as (

    select
        records.record_source,
        records.source_priority,
        records.record_id,
        records.hubspot_company_id,
        records.company_name,
        records.company_name_key,
        records.industry,
        records.company_size,
        records.employee_count,
        case when free_email_domains.email_domain is null then lower(records.email_domain) end as company_domain

    from records

    left join free_email_domains
        on lower(records.email_domain) = lower(free_email_domains.email_domain)

),

hubspot_by_domain as (

    select
        domain,
        min(hubspot_company_id) as hubspot_company_id

    from hubspot_companies

    where domain is not null

    group by 1

),

hubspot_by_name as (

    select
        company_name_key,
        min(hubspot_company_id) as hubspot_company_id

    from hubspot_companies

    where company_name_key is not null

    group by 1

),

domain_of_name as (

    select
        company_name_key,
        min(company_domain) as company_domain

    from company_domains

    where company_name_key is not null and company_domain is not null

    group by 1

),

keyed as (

    select
        company_domains.record_source,
        company_domains.source_priority,
        company_domains.record_id,
        company_domains.company_name,
        company_domains.company_domain,
        company_domains.industry,
        company_domains.company_size,
        company_domains.employee_count,
        case
            when company_domains.hubspot_company_id is not null
                then {{ dbt.concat(["'hubspot:'", "company_domains.hubspot_company_id"]) }}
            when hubspot_by_domain.hubspot_company_id is not null
                then {{ dbt.concat(["'hubspot:'", "hubspot_by_domain.hubspot_company_id"]) }}
            when hubspot_by_name.hubspot_company_id is not null
                then {{ dbt.concat(["'hubspot:'", "hubspot_by_name.hubspot_company_id"]) }}
            when company_domains.company_domain is not null
                then {{ dbt.concat(["'domain:'", "company_domains.company_domain"]) }}
            when domain_of_name.company_domain is not null
                then {{ dbt.concat(["'domain:'", "domain_of_name.company_domain"]) }}
            when company_domains.company_name_key is not null
                then {{ dbt.concat(["'name:'", "company_domains.company_name_key"]) }}
        end as company_key,
        case
            when company_domains.hubspot_company_id is not null then 'hubspot_id'
            when hubspot_by_domain.hubspot_company_id is not null then 'hubspot_domain'
            when hubspot_by_name.hubspot_company_id is not null then 'hubspot_name'
            when company_domains.company_domain is not null then 'domain'
            when domain_of_name.company_domain is not null then 'name_to_domain'
            when company_domains.company_name_key is not null then 'name'
            else 'none'
        end as matched_by

    from company_domains

    left join hubspot_by_domain
        on company_domains.company_domain = hubspot_by_domain.domain

    left join hubspot_by_name
        on company_domains.company_name_key = hubspot_by_name.company_name_key

    left join domain_of_name
        on company_domains.company_name_key = domain_of_name.company_name_key

),

final as (

    select
        record_source,
        record_id,
        case when company_key is not null then {{ dbt.hash('company_key') }} end as company_id,
        company_key,
        matched_by,
        source_priority,
        company_name,
        company_domain,
        industry,
        company_size,
        employee_count

    from keyed

)

select * from final
