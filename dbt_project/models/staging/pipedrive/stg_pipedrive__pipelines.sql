with

source as (

    {{ select_source_columns(source('pipedrive', 'pipelines'), {
        'id': 'bigint',
        'name': 'string',
        'order_nr': 'bigint',
        'is_deleted': 'boolean',
        'is_deal_probability_enabled': 'boolean',
        'add_time': 'timestamp',
        'update_time': 'timestamp',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as pipeline_id,
        trim(name) as pipeline_name,
        order_nr,
        coalesce(is_deleted, false) as is_deleted,
        coalesce(is_deal_probability_enabled, false) as is_deal_probability_enabled,
        {{ to_utc('add_time') }} as created_at,
        {{ to_utc('update_time') }} as modified_at,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
