with

source as (

    {{ select_source_columns(source('hubspot', 'pipeline_stages'), {
        'pipeline_id': 'string',
        'stage_id': 'string',
        'label': 'string',
        'display_order': 'bigint',
        'is_closed': 'boolean',
        'probability': 'numeric',
        'archived': 'boolean',
    }) }}

),

renamed as (

    select
        pipeline_id,
        stage_id as deal_stage_id,
        label as stage_label,
        display_order,
        is_closed,
        cast(probability as {{ dbt.type_numeric() }}) as probability,
        coalesce(archived, false) as is_archived

    from source

)

select * from renamed
