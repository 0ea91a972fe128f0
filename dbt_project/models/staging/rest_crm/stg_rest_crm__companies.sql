{#- The companies (accounts) of every YAML CRM, deleted ones kept and flagged; the website's host as domain. -#}
with

source as (

    {{ union_rest_crm('companies', {
        'company_id': 'string',
        'company_name': 'string',
        'industry': 'string',
        'employee_count': 'bigint',
        'website': 'string',
        'created_at': 'timestamp',
        'modified_at': 'timestamp',
        'is_deleted': 'boolean',
        '_dlt_load_id': 'string',
    }) | indent(4) }}

),

renamed as (

    select
        source_name,
        company_id,
        trim(company_name) as company_name,
        {{ company_name_squeezed('company_name') }} as company_name_squeezed,
        nullif(trim(industry), '') as industry,
        cast(employee_count as {{ dbt.type_bigint() }}) as employee_count,
        -- a website as typed (https://www.globex.com/, www.globex.com): the host, lower case, without www.
        nullif({{ dbt.split_part(
            "replace(replace(replace(lower(trim(website)), 'https://', ''), 'http://', ''), 'www.', '')",
            "'/'", 1
        ) }}, '') as domain,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('modified_at') }} as modified_at,
        coalesce(is_deleted, false) as is_deleted,
        _dlt_load_id as source_load_id

    from source

),

normalised as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key

    from renamed

)

select * from normalised
