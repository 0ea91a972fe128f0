{#- Account lookup sheets (`entity: companies`, e.g. Maven's accounts.csv): one row per entry (source_name) and
    account name, with its industry, size, revenue and employees. They resolve to companies by name like any other
    record (int_company_identities), so a deal's account gets the sheet's industry and size. -#}
with

source as (

    {{ select_source_columns(source('spreadsheets', 'companies'), {
        'source_name': 'string',
        'company_name': 'string',
        'industry': 'string',
        'company_size': 'string',
        'revenue': 'numeric',
        'employees': 'bigint',
        'location': 'string',
        'parent_company': 'string',
        'source_file': 'string',
        'source_row': 'bigint',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        source_name,
        trim(company_name) as company_name,
        {{ company_name_squeezed('company_name') }} as company_name_squeezed,
        nullif(trim(industry), '') as industry,
        nullif(trim(company_size), '') as company_size,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(employees as {{ dbt.type_bigint() }}) as employee_count,
        nullif(trim(location), '') as company_location,
        nullif(trim(parent_company), '') as parent_company,
        source_file,
        source_row,
        _dlt_load_id as source_load_id

    from source

),

keyed as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key

    from renamed

)

select * from keyed
