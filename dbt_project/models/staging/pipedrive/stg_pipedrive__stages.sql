with

source as (

    {{ select_source_columns(source('pipedrive', 'stages'), {
        'id': 'bigint',
        'name': 'string',
        'pipeline_id': 'bigint',
        'order_nr': 'bigint',
        'deal_probability': 'numeric',
        'is_deleted': 'boolean',
        'is_deal_rot_enabled': 'boolean',
        'days_to_rotten': 'bigint',
        'add_time': 'timestamp',
        'update_time': 'timestamp',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as stage_id,
        trim(name) as stage_name,
        pipeline_id,
        order_nr,
        cast(deal_probability as {{ dbt.type_numeric() }}) as deal_probability,
        coalesce(is_deleted, false) as is_deleted,
        coalesce(is_deal_rot_enabled, false) as is_rotting_enabled,
        days_to_rotten,
        {{ to_utc('add_time') }} as created_at,
        {{ to_utc('update_time') }} as modified_at,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
