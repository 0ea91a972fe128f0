with

companies as (

    select * from {{ ref('int_companies') }}

),

industries as (

    select * from {{ ref('industries') }}

),

size_bands as (

    select * from {{ ref('company_size_bands') }}

),

final as (

    select
        cast(companies.company_id as {{ dbt.type_string() }}) as company_id,
        cast(companies.company_name as {{ dbt.type_string() }}) as company_name,
        cast(companies.company_domain as {{ dbt.type_string() }}) as company_domain,
        cast(companies.industry_code as {{ dbt.type_string() }}) as industry_code,
        cast(industries.name_zh as {{ dbt.type_string() }}) as industry_name_zh,
        cast(industries.name_en as {{ dbt.type_string() }}) as industry_name_en,
        cast(companies.size_band_code as {{ dbt.type_string() }}) as size_band_code,
        cast(size_bands.name_zh as {{ dbt.type_string() }}) as size_band_name_zh,
        cast(size_bands.name_en as {{ dbt.type_string() }}) as size_band_name_en,
        cast(companies.employee_count as {{ dbt.type_bigint() }}) as employee_count,
        cast(companies.hubspot_company_id as {{ dbt.type_string() }}) as hubspot_company_id,
        cast(companies.record_count as {{ dbt.type_bigint() }}) as source_records

    from companies

    left join industries
        on companies.industry_code = industries.industry_code

    left join size_bands
        on companies.size_band_code = size_bands.size_band_code

)

select * from final
