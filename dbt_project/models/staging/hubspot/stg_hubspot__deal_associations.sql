with

flat as (

    {{ select_source_columns(source('hubspot', 'deal_associations'), {
        'deal_id': 'string',
        'to_object_type': 'string',
        'to_id': 'string',
        'association_types': 'string',
        'association_position': 'bigint',
    }) }}

),

-- a warehouse loaded before the flat table: a deal not re-loaded since keeps its rows in dlt's nested table (dlt's
-- merge deletes the nested rows of every re-loaded deal, so each deal's rows are in one of the two)
nested as (

    {{ select_source_columns(source('hubspot', 'deals__associations'), {
        'deal_id': 'string',
        'to_object_type': 'string',
        'to_id': 'string',
        'association_types': 'string',
        '_dlt_list_idx': 'bigint',
    }) }}

),

source as (

    select * from flat
    union all
    select
        deal_id,
        to_object_type,
        to_id,
        association_types,
        _dlt_list_idx as association_position
    from nested

),

renamed as (

    select
        deal_id as hubspot_deal_id,
        to_object_type,
        to_id as to_object_id,
        association_types as association_type,
        association_position

    from source

)

select * from renamed
