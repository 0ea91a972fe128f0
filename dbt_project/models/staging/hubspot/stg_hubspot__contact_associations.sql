with

flat as (

    {{ select_source_columns(source('hubspot', 'contact_associations'), {
        'contact_id': 'string',
        'to_object_type': 'string',
        'to_id': 'string',
        'association_types': 'string',
        'association_position': 'bigint',
    }) }}

),

-- a warehouse loaded before the flat table: a contact not re-loaded since keeps its rows in dlt's nested table (dlt's
-- merge deletes the nested rows of every re-loaded contact, so each contact's rows are in one of the two)
nested as (

    {{ select_source_columns(source('hubspot', 'contacts__associations'), {
        'contact_id': 'string',
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
        contact_id,
        to_object_type,
        to_id,
        association_types,
        _dlt_list_idx as association_position
    from nested

),

renamed as (

    select
        contact_id as hubspot_contact_id,
        to_object_type,
        to_id as to_object_id,
        association_types as association_type,
        association_position

    from source

)

select * from renamed
