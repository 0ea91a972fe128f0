with

source as (

    {{ select_source_columns(source('salesforce', 'opportunities'), {
        'id': 'string',
        'is_deleted': 'boolean',
        'created_date': 'timestamp',
        'last_modified_date': 'timestamp',
        'system_modstamp': 'timestamp',
        'name': 'string',
        'account_id': 'string',
        'contact_id': 'string',
        'stage_name': 'string',
        'amount': 'numeric',
        'currency_iso_code': 'string',
        'probability': 'numeric',
        'expected_revenue': 'numeric',
        'close_date': 'date',
        'type': 'string',
        'lead_source': 'string',
        'is_closed': 'boolean',
        'is_won': 'boolean',
        'forecast_category': 'string',
        'forecast_category_name': 'string',
        'owner_id': 'string',
        'last_stage_change_date': 'timestamp',
        'loss_reason_c': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as opportunity_id,
        trim(name) as opportunity_name,
        nullif(trim(account_id), '') as account_id,
        nullif(trim(contact_id), '') as contact_id,
        stage_name,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        upper(nullif(trim(currency_iso_code), '')) as currency_code,
        cast(probability as {{ dbt.type_numeric() }}) as probability,
        cast(expected_revenue as {{ dbt.type_numeric() }}) as expected_revenue,
        close_date,
        type as opportunity_type,
        nullif(trim(lead_source), '') as lead_source,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        forecast_category,
        forecast_category_name,
        nullif(trim(owner_id), '') as owner_id,
        nullif(trim(loss_reason_c), '') as loss_reason,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('coalesce(last_modified_date, system_modstamp)') }} as modified_at,
        {{ to_utc('last_stage_change_date') }} as stage_changed_at,
        coalesce(is_deleted, false) as is_deleted,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
