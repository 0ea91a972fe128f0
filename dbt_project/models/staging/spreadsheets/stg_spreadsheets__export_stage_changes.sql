with

source as (

    {{ select_source_columns(source('spreadsheets', 'export_stage_changes'), {
        'deal_id': 'string',
        'from_stage_raw': 'string',
        'from_stage_code': 'string',
        'to_stage_raw': 'string',
        'to_stage_code': 'string',
        'changed_at': 'timestamp',
        'changed_by': 'string',
        'source_file': 'string',
        'source_row': 'bigint',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        trim(deal_id) as export_deal_id,
        trim(from_stage_raw) as from_stage_raw,
        from_stage_code as ingested_from_stage_code,
        trim(to_stage_raw) as to_stage_raw,
        to_stage_code as ingested_to_stage_code,
        {{ to_utc('changed_at') }} as changed_at,
        trim(changed_by) as changed_by,
        source_file,
        source_row,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
