with

source as (

    {{ select_source_columns(source('salesforce', 'opportunity_stages'), {
        'id': 'string',
        'api_name': 'string',
        'master_label': 'string',
        'description': 'string',
        'is_active': 'boolean',
        'is_closed': 'boolean',
        'is_won': 'boolean',
        'sort_order': 'bigint',
        'default_probability': 'numeric',
        'forecast_category': 'string',
        'forecast_category_name': 'string',
        'last_modified_date': 'timestamp',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as stage_id,
        coalesce(api_name, master_label) as stage_name,
        master_label as stage_label,
        description as stage_description,
        coalesce(is_active, true) as is_active,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        sort_order,
        cast(default_probability as {{ dbt.type_numeric() }}) as default_probability,
        forecast_category,
        forecast_category_name,
        {{ to_utc('last_modified_date') }} as modified_at,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
