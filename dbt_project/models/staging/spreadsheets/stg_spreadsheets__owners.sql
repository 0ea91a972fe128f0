{#- Owner lookup sheets (`entity: owners`, e.g. Maven's sales_teams.csv): one row per entry (source_name) and owner
    name, with the owner's manager, team, office and region. Joined to the owners by name (int_owners). -#}
with

source as (

    {{ select_source_columns(source('spreadsheets', 'owners'), {
        'source_name': 'string',
        'owner_name': 'string',
        'manager_name': 'string',
        'team_name': 'string',
        'office': 'string',
        'region': 'string',
        'source_file': 'string',
        'source_row': 'bigint',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        source_name,
        trim(owner_name) as owner_name,
        {{ person_name_key('owner_name') }} as owner_name_key,
        nullif(trim(manager_name), '') as manager_name,
        nullif(trim(team_name), '') as team_name,
        nullif(trim(office), '') as office,
        nullif(trim(region), '') as region,
        source_file,
        source_row,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
