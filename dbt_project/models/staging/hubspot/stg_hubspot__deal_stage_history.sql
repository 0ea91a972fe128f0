with

source as (

    {{ select_source_columns(source('hubspot', 'deal_stage_history'), {
        'deal_id': 'string',
        'stage': 'string',
        'changed_at': 'timestamp',
        'source_type': 'string',
        'updated_by_user_id': 'bigint',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        deal_id as hubspot_deal_id,
        stage as deal_stage_id,
        {{ to_utc('changed_at') }} as changed_at,
        source_type as change_source_type,
        updated_by_user_id as changed_by_user_id,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
