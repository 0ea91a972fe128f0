with

source as (

    {{ select_source_columns(source('spreadsheets', 'tracker_deals'), {
        'team': 'string',
        'customer_name': 'string',
        'industry': 'string',
        'company_size': 'string',
        'contact_name': 'string',
        'contact_title': 'string',
        'contact_phone': 'string',
        'stage_raw': 'string',
        'stage_code': 'string',
        'stage_entered_on': 'date',
        'previous_stage_days': 'bigint',
        'key_actions': 'string',
        'next_step': 'string',
        'owner_name': 'string',
        'amount_cny': 'numeric',
        'risk_note': 'string',
        'source_file': 'string',
        'source_sheet': 'string',
        'source_row': 'bigint',
        'data_issues': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        -- the tracker has no deal id: a row (team, customer, stage, stage entered) is the raw table's key
        {{ dbt.hash(dbt.concat([
            "coalesce(team, '')", "'|'", "coalesce(customer_name, '')", "'|'",
            "coalesce(stage_code, '')", "'|'", "coalesce(cast(stage_entered_on as " ~ dbt.type_string() ~ "), '')"
        ])) }} as tracker_deal_id,
        team,
        trim(customer_name) as customer_name,
        {{ company_name_squeezed('customer_name') }} as customer_name_squeezed,
        nullif(trim(industry), '') as industry,
        nullif(trim(company_size), '') as company_size,
        trim(contact_name) as contact_name,
        {{ person_name_key('contact_name') }} as contact_name_key,
        trim(contact_title) as contact_title,
        {{ phone_digits('contact_phone') }} as contact_phone_digits,
        trim(stage_raw) as stage_raw,
        stage_code as ingested_stage_code,
        cast(stage_entered_on as date) as stage_entered_on,
        cast(previous_stage_days as {{ dbt.type_int() }}) as previous_stage_days,
        key_actions,
        next_step,
        trim(owner_name) as owner_name,
        {{ person_name_key('owner_name') }} as owner_name_key,
        cast(amount_cny as {{ dbt.type_numeric() }}) as amount_cny,
        risk_note,
        source_file,
        source_sheet,
        source_row,
        data_issues,
        _dlt_load_id as source_load_id

    from source

),

normalised as (

    select
        *,
        {{ company_name_key('customer_name_squeezed') }} as customer_name_key,
        {{ phone_e164('contact_phone_digits') }} as contact_phone

    from renamed

),

protected as (

    select
        *,
        {{ protected_phone_columns('contact_phone') }}

    from normalised

)

select * from protected
