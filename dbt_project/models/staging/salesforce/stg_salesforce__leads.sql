with

source as (

    {{ select_source_columns(source('salesforce', 'leads'), {
        'id': 'string',
        'is_deleted': 'boolean',
        'created_date': 'timestamp',
        'last_modified_date': 'timestamp',
        'system_modstamp': 'timestamp',
        'first_name': 'string',
        'last_name': 'string',
        'name': 'string',
        'company': 'string',
        'email': 'string',
        'phone': 'string',
        'title': 'string',
        'status': 'string',
        'lead_source': 'string',
        'industry': 'string',
        'number_of_employees': 'bigint',
        'annual_revenue': 'numeric',
        'is_converted': 'boolean',
        'converted_date': 'date',
        'converted_account_id': 'string',
        'converted_contact_id': 'string',
        'converted_opportunity_id': 'string',
        'owner_id': 'string',
        'country': 'string',
        'currency_iso_code': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as lead_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        trim(coalesce(name, {{ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) }}))
            as lead_name,
        {{ normalize_email('email') }} as email,
        {{ phone_digits('phone') }} as phone_digits,
        trim(title) as job_title,
        trim(company) as company_name,
        {{ company_name_squeezed('company') }} as company_name_squeezed,
        status as lead_status,
        nullif(trim(lead_source), '') as lead_source,
        nullif(trim(industry), '') as industry,
        cast(number_of_employees as {{ dbt.type_bigint() }}) as employee_count,
        cast(annual_revenue as {{ dbt.type_numeric() }}) as annual_revenue,
        coalesce(is_converted, false) as is_converted,
        converted_date as converted_on,
        nullif(trim(converted_account_id), '') as converted_account_id,
        nullif(trim(converted_contact_id), '') as converted_contact_id,
        nullif(trim(converted_opportunity_id), '') as converted_opportunity_id,
        nullif(trim(owner_id), '') as owner_id,
        trim(country) as country,
        upper(nullif(trim(currency_iso_code), '')) as currency_code,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('coalesce(last_modified_date, system_modstamp)') }} as modified_at,
        coalesce(is_deleted, false) as is_deleted,
        _dlt_load_id as source_load_id

    from source

),

keyed as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key

    from renamed

),

protected as (

    {{ protect_contact('keyed', name='lead_name') }}

)

select * from protected
