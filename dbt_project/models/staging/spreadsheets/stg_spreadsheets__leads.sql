{#- Leads of every mapping entry with `entity: leads` and no `table:` (raw_spreadsheets.leads), one row per entry
    (source_name) and lead. Columns an entry does not map are null; the lead id defaults to the entry's key. -#}
with

source as (

    {{ select_source_columns(source('spreadsheets', 'leads'), {
        'source_name': 'string',
        'record_key': 'string',
        'lead_id': 'string',
        'created_on': 'date',
        'created_at': 'timestamp',
        'channel_field': 'string',
        'channel': 'string',
        'landing_page': 'string',
        'company_name': 'string',
        'industry': 'string',
        'company_size': 'string',
        'contact_name': 'string',
        'contact_email': 'string',
        'contact_phone': 'string',
        'owner_name': 'string',
        'segment': 'string',
        'lead_type': 'string',
        'product': 'string',
        'declared_revenue': 'numeric',
        'source_file': 'string',
        'source_row': 'bigint',
        'data_issues': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        source_name,
        coalesce(nullif(trim(lead_id), ''), record_key) as lead_id,
        coalesce({{ to_utc('created_at') }}, cast(created_on as {{ dbt.type_timestamp() }})) as created_at,
        coalesce(channel_field, 'channel') as channel_field,
        nullif(trim(channel), '') as channel,
        nullif(trim(landing_page), '') as landing_page,
        trim(company_name) as company_name,
        {{ company_name_squeezed('company_name') }} as company_name_squeezed,
        nullif(trim(industry), '') as industry,
        nullif(trim(company_size), '') as company_size,
        {{ person_name_key('contact_name') }} as contact_name_key,
        {{ normalize_email('contact_email') }} as contact_email,
        contact_phone,
        trim(owner_name) as owner_name,
        {{ person_name_key('owner_name') }} as owner_name_key,
        nullif(trim(segment), '') as segment,
        nullif(trim(lead_type), '') as lead_type,
        nullif(trim(product), '') as product,
        cast(declared_revenue as {{ dbt.type_numeric() }}) as declared_revenue,
        source_file,
        source_row,
        data_issues,
        _dlt_load_id as source_load_id

    from source

),

protected as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key,
        {{ protected_email_columns('contact_email') }},
        {{ protected_phone_columns('contact_phone') }}

    from renamed

)

select * from protected
