{#- One row per resolved company (int_company_identities), with the best known name, domain, industry and size:
    each attribute from the most trusted source that has it (HubSpot company, English export, tracker, HubSpot
    contact, form). Industry text is normalised by the seed industry_map; size band from the number of employees
    (company_size_bands) or the written size (company_size_map). -#}
with

identities as (

    select * from {{ ref('int_company_identities') }}

),

industry_map as (

    select * from {{ ref('industry_map') }}

),

size_map as (

    select * from {{ ref('company_size_map') }}

),

size_bands as (

    select * from {{ ref('company_size_bands') }}

),

records as (

    select
        identities.company_id,
        identities.company_key,
        identities.record_source,
        identities.record_id,
        identities.source_priority,
        identities.company_name,
        identities.company_domain,
        identities.employee_count,
        industry_map.industry_code,
        coalesce(by_employees.size_band_code, size_map.size_band_code) as size_band_code

    from identities

    left join industry_map
        on {{ lookup_key('identities.industry') }} = {{ lookup_key('industry_map.source_value') }}

    left join size_bands as by_employees
        on
            identities.employee_count >= by_employees.min_employees
            and (identities.employee_count <= by_employees.max_employees or by_employees.max_employees is null)

    left join size_map
        on {{ lookup_key('identities.company_size') }} = {{ lookup_key('size_map.source_value') }}

    where identities.company_id is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by company_id
            order by case when company_name is null then 1 else 0 end, source_priority, record_id
        ) as name_rank,
        row_number() over (
            partition by company_id
            order by case when company_domain is null then 1 else 0 end, source_priority, record_id
        ) as domain_rank,
        row_number() over (
            partition by company_id
            order by case when industry_code is null then 1 else 0 end, source_priority, record_id
        ) as industry_rank,
        row_number() over (
            partition by company_id
            order by case when size_band_code is null then 1 else 0 end, source_priority, record_id
        ) as size_band_rank,
        row_number() over (
            partition by company_id
            order by case when employee_count is null then 1 else 0 end, source_priority, record_id
        ) as employee_count_rank

    from records

),

final as (

    select
        company_id,
        min(company_key) as company_key,
        max(case when name_rank = 1 then company_name end) as company_name,
        max(case when domain_rank = 1 then company_domain end) as company_domain,
        coalesce(max(case when industry_rank = 1 then industry_code end), 'other') as industry_code,
        coalesce(max(case when size_band_rank = 1 then size_band_code end), 'unknown') as size_band_code,
        max(case when employee_count_rank = 1 then employee_count end) as employee_count,
        min(case when record_source = 'hubspot_company' then record_id end) as hubspot_company_id,
        count(*) as record_count

    from ranked

    group by 1

)

select * from final
