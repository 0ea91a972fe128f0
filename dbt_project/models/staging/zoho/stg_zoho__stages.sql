{#- The stages of each pipeline (pipelines settings): their mapping onto the funnel is the seed funnel_stage_map
    (source zoho); forecast_type says which are closed won and closed lost. -#}
with

source as (

    {{ select_source_columns(source('zoho', 'stages'), {
        'id': 'string',
        'pipeline_id': 'string',
        'pipeline_name': 'string',
        'pipeline_default': 'boolean',
        'stage_id': 'string',
        'stage_name': 'string',
        'actual_value': 'string',
        'display_order': 'bigint',
        'probability': 'numeric',
        'forecast_type': 'string',
        'forecast_category_name': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as pipeline_stage_id,
        pipeline_id,
        pipeline_name,
        coalesce(pipeline_default, false) as is_default_pipeline,
        stage_id,
        stage_name,
        coalesce(actual_value, stage_name) as stage_value,
        display_order,
        cast(probability as {{ dbt.type_numeric() }}) as probability,
        forecast_type,
        forecast_category_name,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
