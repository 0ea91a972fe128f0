with

source as (

    {{ select_source_columns(source('hubspot', 'pipelines'), {
        'id': 'string',
        'object_type': 'string',
        'label': 'string',
        'display_order': 'bigint',
        'archived': 'boolean',
    }) }}

),

renamed as (

    select
        id as pipeline_id,
        object_type,
        label as pipeline_label,
        display_order,
        coalesce(archived, false) as is_archived

    from source

)

select * from renamed
