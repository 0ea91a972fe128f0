with

source as (

    {{ select_source_columns(source('hubspot', 'deals__associations'), {
        'deal_id': 'string',
        'to_object_type': 'string',
        'to_id': 'string',
        'association_types': 'string',
        '_dlt_list_idx': 'bigint',
    }) }}

),

renamed as (

    select
        deal_id as hubspot_deal_id,
        to_object_type,
        to_id as to_object_id,
        association_types as association_type,
        _dlt_list_idx as association_position

    from source

)

select * from renamed
