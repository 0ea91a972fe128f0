with

source as (

    {{ select_source_columns(source('hubspot', 'owners'), {
        'id': 'string',
        'email': 'string',
        'first_name': 'string',
        'last_name': 'string',
        'user_id': 'bigint',
        'type': 'string',
        'primary_team_id': 'string',
        'primary_team_name': 'string',
        'created_at': 'timestamp',
        'updated_at': 'timestamp',
        'archived': 'boolean',
    }) }}

),

renamed as (

    select
        id as hubspot_owner_id,
        user_id as hubspot_user_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        -- Chinese names (no letter case) surname first: 周文; others first name first: Ryan Han
        case
            when lower(coalesce(first_name, '')) = upper(coalesce(first_name, ''))
                then trim({{ dbt.concat(["coalesce(last_name, '')", "coalesce(first_name, '')"]) }})
            else trim({{ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) }})
        end as owner_name,
        {{ normalize_email('email') }} as email,
        type as owner_type,
        nullif(trim(primary_team_id), '') as primary_team_id,
        nullif(trim(primary_team_name), '') as primary_team_name,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('updated_at') }} as updated_at,
        coalesce(archived, false) as is_archived

    from source

),

keyed as (

    select
        *,
        -- both name orders, so 周文 / 文周 and Ryan Han / Han Ryan written in a spreadsheet find the owner
        {{ person_name_key(dbt.concat(["coalesce(last_name, '')", "coalesce(first_name, '')"])) }}
            as owner_name_key_surname_first,
        {{ person_name_key(dbt.concat(["coalesce(first_name, '')", "coalesce(last_name, '')"])) }}
            as owner_name_key_given_first

    from renamed

)

select * from keyed
