with

source as (

    {{ select_source_columns(source('hubspot', 'owners__teams'), {
        'owner_id': 'string',
        'team_id': 'string',
        'team_name': 'string',
        'is_primary': 'boolean',
    }) }}

),

renamed as (

    select
        owner_id as hubspot_owner_id,
        team_id,
        trim(team_name) as team_name,
        coalesce(is_primary, false) as is_primary

    from source

)

select * from renamed
