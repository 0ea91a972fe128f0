with

source as (

    {{ select_source_columns(source('forms', 'form_submissions'), {
        'submission_id': 'string',
        'form_tool': 'string',
        'form_id': 'string',
        'form_name': 'string',
        'submitted_at': 'timestamp',
        'email': 'string',
        'phone': 'string',
        'name': 'string',
        'company': 'string',
        'industry': 'string',
        'company_size': 'string',
        'message': 'string',
        'utm_source': 'string',
        'utm_medium': 'string',
        'utm_campaign': 'string',
        'utm_term': 'string',
        'utm_content': 'string',
        'channel': 'string',
        'attachments': 'string',
        'data_issues': 'string',
        'source_file': 'string',
        'source_row': 'bigint',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        submission_id,
        form_tool,
        form_id,
        form_name,
        {{ to_utc('submitted_at') }} as submitted_at,
        trim(name) as contact_name,
        {{ person_name_key('name') }} as contact_name_key,
        {{ normalize_email('email') }} as email,
        {{ phone_digits('phone') }} as phone_digits,
        trim(company) as company_name,
        {{ company_name_squeezed('company') }} as company_name_squeezed,
        trim(industry) as industry,
        trim(company_size) as company_size,
        message,
        nullif(trim(utm_source), '') as utm_source,
        nullif(trim(utm_medium), '') as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,
        nullif(trim(utm_term), '') as utm_term,
        nullif(trim(utm_content), '') as utm_content,
        nullif(trim(channel), '') as channel,
        nullif(trim(attachments), '') as attachments,
        data_issues,
        source_file,
        source_row,
        _dlt_load_id as source_load_id

    from source

),

normalised as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key,
        {{ phone_e164('phone_digits') }} as phone

    from renamed

),

protected as (

    select
        *,
        {{ protected_email_columns('email') }},
        {{ protected_phone_columns('phone') }}

    from normalised

)

select * from protected
