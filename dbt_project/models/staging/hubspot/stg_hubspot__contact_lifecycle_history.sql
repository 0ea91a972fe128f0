with

source as (

    {{ select_source_columns(source('hubspot', 'contact_lifecycle_history'), {
        'contact_id': 'string',
        'lifecycle_stage': 'string',
        'changed_at': 'timestamp',
        'source_type': 'string',
        'updated_by_user_id': 'bigint',
    }) }}

),

renamed as (

    select
        contact_id as hubspot_contact_id,
        lifecycle_stage,
        {{ to_utc('changed_at') }} as changed_at,
        source_type as change_source_type,
        updated_by_user_id as changed_by_user_id

    from source

)

select * from renamed
