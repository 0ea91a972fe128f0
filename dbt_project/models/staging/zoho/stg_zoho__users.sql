{#- The org's users (record owners); the email stays in staging, hashed for what leaves it. -#}
with

source as (

    {{ select_source_columns(source('zoho', 'users'), {
        'id': 'string',
        'full_name': 'string',
        'first_name': 'string',
        'last_name': 'string',
        'email': 'string',
        'status': 'string',
        'role_id': 'string',
        'role_name': 'string',
        'profile_id': 'string',
        'profile_name': 'string',
        'time_zone': 'string',
        'created_time': 'timestamp',
        'modified_time': 'timestamp',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as user_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        trim(coalesce(full_name, {{ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) }}))
            as user_name,
        {{ normalize_email('email') }} as email,
        lower(status) as user_status,
        coalesce(lower(status) = 'active', true) as is_active,
        role_id,
        role_name,
        profile_id,
        profile_name,
        time_zone,
        {{ to_utc('created_time') }} as created_at,
        {{ to_utc('modified_time') }} as modified_at,
        _dlt_load_id as source_load_id

    from source

),

protected as (

    select
        *,
        {{ person_name_key('user_name') }} as user_name_key,
        {{ protected_email_columns('email') }}

    from renamed

)

select * from protected
