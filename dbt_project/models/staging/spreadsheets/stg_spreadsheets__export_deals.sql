with

source as (

    {{ select_source_columns(source('spreadsheets', 'export_deals'), {
        'deal_id': 'string',
        'account_name': 'string',
        'industry': 'string',
        'company_size': 'string',
        'contact_name': 'string',
        'contact_title': 'string',
        'contact_phone': 'string',
        'contact_email': 'string',
        'stage_raw': 'string',
        'stage_code': 'string',
        'stage_entered_on': 'date',
        'created_on': 'date',
        'owner_name': 'string',
        'amount_cny': 'numeric',
        'lost_reason': 'string',
        'channel': 'string',
        'source_file': 'string',
        'source_row': 'bigint',
        'data_issues': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        trim(deal_id) as export_deal_id,
        trim(account_name) as account_name,
        {{ company_name_squeezed('account_name') }} as account_name_squeezed,
        nullif(trim(industry), '') as industry,
        nullif(trim(company_size), '') as company_size,
        trim(contact_name) as contact_name,
        {{ person_name_key('contact_name') }} as contact_name_key,
        trim(contact_title) as contact_title,
        {{ phone_digits('contact_phone') }} as contact_phone_digits,
        {{ normalize_email('contact_email') }} as contact_email,
        trim(stage_raw) as stage_raw,
        stage_code as ingested_stage_code,
        cast(stage_entered_on as date) as stage_entered_on,
        cast(created_on as date) as created_on,
        trim(owner_name) as owner_name,
        {{ person_name_key('owner_name') }} as owner_name_key,
        cast(amount_cny as {{ dbt.type_numeric() }}) as amount_cny,
        nullif(trim(lost_reason), '') as lost_reason,
        nullif(trim(channel), '') as channel,
        source_file,
        source_row,
        data_issues,
        _dlt_load_id as source_load_id

    from source

),

normalised as (

    select
        *,
        {{ company_name_key('account_name_squeezed') }} as account_name_key,
        {{ phone_e164('contact_phone_digits') }} as contact_phone

    from renamed

),

protected as (

    select
        *,
        {{ protected_email_columns('contact_email') }},
        {{ protected_phone_columns('contact_phone') }}

    from normalised

)

select * from protected
