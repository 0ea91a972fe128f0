with

source as (

    {{ select_source_columns(source('hubspot', 'companies'), {
        'id': 'string',
        'created_at': 'timestamp',
        'updated_at': 'timestamp',
        'archived': 'boolean',
        'name': 'string',
        'domain': 'string',
        'industry': 'string',
        'city': 'string',
        'country': 'string',
        'numberofemployees': 'bigint',
        'annualrevenue': 'numeric',
        'lifecyclestage': 'string',
        'hubspot_owner_id': 'string',
        'createdate': 'timestamp',
        'hs_lastmodifieddate': 'timestamp',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as hubspot_company_id,
        trim(name) as company_name,
        {{ company_name_squeezed('name') }} as company_name_squeezed,
        case
            when lower(trim(domain)) like 'www.%' then substring(lower(trim(domain)), 5, 255)
            else nullif(lower(trim(domain)), '')
        end as domain,
        nullif(trim(industry), '') as industry,
        trim(city) as city,
        trim(country) as country,
        cast(numberofemployees as {{ dbt.type_bigint() }}) as employee_count,
        cast(annualrevenue as {{ dbt.type_numeric() }}) as annual_revenue,
        lifecyclestage as lifecycle_stage,
        nullif(trim(hubspot_owner_id), '') as hubspot_owner_id,
        {{ to_utc('coalesce(createdate, created_at)') }} as created_at,
        {{ to_utc('coalesce(hs_lastmodifieddate, updated_at)') }} as modified_at,
        coalesce(archived, false) as is_archived,
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
