with

source as (

    {{ select_source_columns(source('pipedrive', 'users'), {
        'id': 'bigint',
        'name': 'string',
        'email': 'string',
        'phone': 'string',
        'default_currency': 'string',
        'locale': 'string',
        'timezone_name': 'string',
        'role_id': 'bigint',
        'activated': 'boolean',
        'active_flag': 'boolean',
        'is_deleted': 'boolean',
        'created': 'timestamp',
        'modified': 'timestamp',
        'last_login': 'timestamp',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as user_id,
        trim(name) as user_name,
        {{ normalize_email('email') }} as email,
        {{ phone_digits('phone') }} as phone_digits,
        upper(nullif(trim(default_currency), '')) as default_currency_code,
        locale,
        timezone_name as time_zone,
        role_id,
        coalesce(activated, false) as is_activated,
        coalesce(active_flag, true) as is_active,
        coalesce(is_deleted, false) as is_deleted,
        {{ to_utc('created') }} as created_at,
        {{ to_utc('modified') }} as modified_at,
        {{ to_utc('last_login') }} as last_login_at,
        _dlt_load_id as source_load_id

    from source

),

protected as (

    {{ protect_contact('renamed', name='user_name') }}

)

select * from protected
