with

source as (

    {{ select_source_columns(source('salesforce', 'accounts'), {
        'id': 'string',
        'is_deleted': 'boolean',
        'created_date': 'timestamp',
        'last_modified_date': 'timestamp',
        'system_modstamp': 'timestamp',
        'name': 'string',
        'type': 'string',
        'industry': 'string',
        'number_of_employees': 'bigint',
        'annual_revenue': 'numeric',
        'website': 'string',
        'billing_city': 'string',
        'billing_state': 'string',
        'billing_country': 'string',
        'parent_id': 'string',
        'owner_id': 'string',
        'currency_iso_code': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as account_id,
        trim(name) as account_name,
        {{ company_name_squeezed('name') }} as company_name_squeezed,
        type as account_type,
        nullif(trim(industry), '') as industry,
        cast(number_of_employees as {{ dbt.type_bigint() }}) as employee_count,
        cast(annual_revenue as {{ dbt.type_numeric() }}) as annual_revenue,
        -- Website as typed (https://www.globex.com/, www.globex.com): the host, lower case, without www.
        {{ dbt.split_part(
            "replace(replace(replace(lower(trim(website)), 'https://', ''), 'http://', ''), 'www.', '')",
            "'/'", 1
        ) }} as domain,
        trim(billing_city) as billing_city,
        trim(billing_state) as billing_state,
        trim(billing_country) as billing_country,
        nullif(trim(parent_id), '') as parent_account_id,
        nullif(trim(owner_id), '') as owner_id,
        upper(nullif(trim(currency_iso_code), '')) as currency_code,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('coalesce(last_modified_date, system_modstamp)') }} as modified_at,
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
