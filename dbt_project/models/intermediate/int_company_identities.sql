{#- One row per place a company is seen (HubSpot company, form submission, HubSpot contact, tracker row, export
    row, a spreadsheet deal's account, a row of an account lookup sheet: every source of var('company_sources')
    through its canonical model int_<source>__companies, macros/union_sources.sql), with the company_id it resolves
    to. The rule, a CRM company being a record <source>_company (HubSpot's), keyed <source>:<id>:
      1. a CRM company is itself; a CRM contact or deal associated with a CRM company is that company;
      2. a record whose email domain (not a free-mail domain, seed free_email_domains) is a CRM company's
         domain → that company (the least key when several);
      3. a record whose normalised name (staging: lower-cased, no spaces or punctuation, legal suffix such as
         有限公司 / Co., Ltd. removed) equals a CRM company's → that company;
      4. otherwise records sharing a company email domain → one company, and a name seen with such a domain joins it;
      5. otherwise records with the same normalised name → one company.
    A Chinese short name (华信软件) and an English name (Huaxin Software) of the same company stay apart unless an
    email domain links them. -#}
with

records as (

    {{ union_sources('companies', var('company_sources')) | indent(4) }}

),

free_email_domains as (

    select * from {{ ref('free_email_domains') }}

),

crm_companies as (

    -- the CRMs' own company records (record_source <source>_company), keyed <source>:<company id>
    select
        source_name,
        email_domain,
        company_name_key,
        {{ dbt.concat(["source_name", "':'", "company_source_id"]) }} as company_key

    from records

    where record_source = {{ dbt.concat(["source_name", "'_company'"]) }}

),

company_domains as (

    select
        records.source_name,
        records.record_source,
        records.source_priority,
        records.record_id,
        records.company_source_id,
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

crm_by_domain as (

    -- the CRM company with a domain (the least key when several have it)
    select
        email_domain as domain,
        source_name,
        company_key,
        row_number() over (partition by email_domain order by company_key) as domain_rank

    from crm_companies

    where email_domain is not null

),

crm_by_name as (

    select
        company_name_key,
        source_name,
        company_key,
        row_number() over (partition by company_name_key order by company_key) as name_rank

    from crm_companies

    where company_name_key is not null

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
            when company_domains.company_source_id is not null
                then {{ dbt.concat(["company_domains.source_name", "':'", "company_domains.company_source_id"]) }}
            when crm_by_domain.company_key is not null then crm_by_domain.company_key
            when crm_by_name.company_key is not null then crm_by_name.company_key
            when company_domains.company_domain is not null
                then {{ dbt.concat(["'domain:'", "company_domains.company_domain"]) }}
            when domain_of_name.company_domain is not null
                then {{ dbt.concat(["'domain:'", "domain_of_name.company_domain"]) }}
            when company_domains.company_name_key is not null
                then {{ dbt.concat(["'name:'", "company_domains.company_name_key"]) }}
        end as company_key,
        case
            when company_domains.company_source_id is not null
                then {{ dbt.concat(["company_domains.source_name", "'_id'"]) }}
            when crm_by_domain.company_key is not null then {{ dbt.concat(["crm_by_domain.source_name", "'_domain'"]) }}
            when crm_by_name.company_key is not null then {{ dbt.concat(["crm_by_name.source_name", "'_name'"]) }}
            when company_domains.company_domain is not null then 'domain'
            when domain_of_name.company_domain is not null then 'name_to_domain'
            when company_domains.company_name_key is not null then 'name'
            else 'none'
        end as matched_by

    from company_domains

    left join crm_by_domain
        on
            company_domains.company_domain = crm_by_domain.domain
            and crm_by_domain.domain_rank = 1

    left join crm_by_name
        on
            company_domains.company_name_key = crm_by_name.company_name_key
            and crm_by_name.name_rank = 1

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
