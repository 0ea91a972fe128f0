{#- The records Zoho lists as deleted (module and id; the endpoint gives nothing else of the record): the staging
    models of each module flag their rows from here. -#}
with

source as (

    {{ select_source_columns(source('zoho', 'deleted_records'), {
        'id': 'string',
        'module': 'string',
        'type': 'string',
        'deleted_time': 'timestamp',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        module,
        id as record_id,
        type as deletion_type,
        {{ to_utc('deleted_time') }} as deleted_at,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
