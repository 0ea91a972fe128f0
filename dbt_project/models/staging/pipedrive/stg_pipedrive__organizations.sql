with

source as (

    {{ select_source_columns(source('pipedrive', 'organizations'), {
        'id': 'bigint',
        'name': 'string',
        'owner_id': 'bigint',
        'address_country': 'string',
        'add_time': 'timestamp',
        'update_time': 'timestamp',
        'is_deleted': 'boolean',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as organization_id,
        trim(name) as organization_name,
        {{ company_name_squeezed('name') }} as company_name_squeezed,
        owner_id,
        nullif(trim(address_country), '') as country,
        {{ to_utc('add_time') }} as created_at,
        {{ to_utc('update_time') }} as modified_at,
        coalesce(is_deleted, false) as is_deleted,
        _dlt_load_id as source_load_id

    from source

),

normalised as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key

    from renamed

)

select * from normalised
