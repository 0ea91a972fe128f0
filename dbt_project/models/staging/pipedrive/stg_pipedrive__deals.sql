with

source as (

    {{ select_source_columns(source('pipedrive', 'deals'), {
        'id': 'bigint',
        'title': 'string',
        'owner_id': 'bigint',
        'person_id': 'bigint',
        'org_id': 'bigint',
        'pipeline_id': 'bigint',
        'stage_id': 'bigint',
        'value': 'numeric',
        'currency': 'string',
        'status': 'string',
        'lost_reason': 'string',
        'probability': 'numeric',
        'expected_close_date': 'date',
        'add_time': 'timestamp',
        'update_time': 'timestamp',
        'stage_change_time': 'timestamp',
        'won_time': 'timestamp',
        'lost_time': 'timestamp',
        'close_time': 'timestamp',
        'is_deleted': 'boolean',
        'is_archived': 'boolean',
        'origin': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as deal_id,
        trim(title) as deal_title,
        owner_id,
        person_id,
        org_id as organization_id,
        pipeline_id,
        stage_id,
        cast(value as {{ dbt.type_numeric() }}) as amount,
        upper(nullif(trim(currency), '')) as currency_code,
        status as deal_status,
        nullif(trim(lost_reason), '') as lost_reason,
        cast(probability as {{ dbt.type_numeric() }}) as probability,
        expected_close_date,
        {{ to_utc('add_time') }} as created_at,
        {{ to_utc('update_time') }} as modified_at,
        {{ to_utc('stage_change_time') }} as stage_changed_at,
        {{ to_utc('won_time') }} as won_at,
        {{ to_utc('lost_time') }} as lost_at,
        {{ to_utc('close_time') }} as closed_at,
        coalesce(is_deleted, false) as is_deleted,
        coalesce(is_archived, false) as is_archived,
        origin,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
