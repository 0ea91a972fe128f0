{#- The users (deal owners) of every YAML CRM; the email stays here, hashed for what leaves staging. -#}
with

source as (

    {{ union_rest_crm('owners', {
        'owner_id': 'string',
        'owner_name': 'string',
        'email': 'string',
        'team_name': 'string',
        'is_active': 'boolean',
        '_dlt_load_id': 'string',
    }) | indent(4) }}

),

renamed as (

    select
        source_name,
        owner_id,
        trim(owner_name) as owner_name,
        {{ normalize_email('email') }} as email,
        nullif(trim(team_name), '') as team_name,
        coalesce(is_active, true) as is_active,
        _dlt_load_id as source_load_id

    from source

),

protected as (

    select
        *,
        {{ person_name_key('owner_name') }} as owner_name_key,
        {{ protected_email_columns('email') }}

    from renamed

)

select * from protected
