{#- Username is the login, written as an email: it stays in raw. -#}
with

source as (

    {{ select_source_columns(source('salesforce', 'users'), {
        'id': 'string',
        'created_date': 'timestamp',
        'last_modified_date': 'timestamp',
        'system_modstamp': 'timestamp',
        'name': 'string',
        'first_name': 'string',
        'last_name': 'string',
        'email': 'string',
        'phone': 'string',
        'is_active': 'boolean',
        'manager_id': 'string',
        'user_role_id': 'string',
        'profile_id': 'string',
        'title': 'string',
        'department': 'string',
        'time_zone_sid_key': 'string',
        'default_currency_iso_code': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as user_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        trim(coalesce(name, {{ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) }}))
            as user_name,
        {{ normalize_email('email') }} as email,
        {{ phone_digits('phone') }} as phone_digits,
        coalesce(is_active, true) as is_active,
        nullif(trim(manager_id), '') as manager_id,
        nullif(trim(user_role_id), '') as user_role_id,
        nullif(trim(profile_id), '') as profile_id,
        trim(title) as job_title,
        trim(department) as department,
        time_zone_sid_key as time_zone,
        upper(nullif(trim(default_currency_iso_code), '')) as default_currency_code,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('coalesce(last_modified_date, system_modstamp)') }} as modified_at,
        _dlt_load_id as source_load_id

    from source

),

protected as (

    {{ protect_contact('renamed', name='user_name') }}

)

select * from protected
