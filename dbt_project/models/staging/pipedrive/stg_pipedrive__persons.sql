{#- The primary email and phone of each person (ingestion picks them from the emails / phones lists, which stay in
    raw with the other addresses). -#}
with

source as (

    {{ select_source_columns(source('pipedrive', 'persons'), {
        'id': 'bigint',
        'name': 'string',
        'first_name': 'string',
        'last_name': 'string',
        'owner_id': 'bigint',
        'org_id': 'bigint',
        'email': 'string',
        'phone': 'string',
        'add_time': 'timestamp',
        'update_time': 'timestamp',
        'is_deleted': 'boolean',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as person_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        trim(coalesce(name, {{ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) }}))
            as person_name,
        {{ normalize_email('email') }} as email,
        {{ phone_digits('phone') }} as phone_digits,
        owner_id,
        org_id as organization_id,
        {{ to_utc('add_time') }} as created_at,
        {{ to_utc('update_time') }} as modified_at,
        coalesce(is_deleted, false) as is_deleted,
        _dlt_load_id as source_load_id

    from source

),

protected as (

    {{ protect_contact('renamed', name='person_name') }}

)

select * from protected
