{#- The stages spreadsheet deals entered on the days of their `enters` date columns (raw_spreadsheets.deal_stage_dates):
    one row per entry (source_name), deal and stage. is_closing: the column means the deal's won or lost stage, so
    the row counts only when the deal's stage is won or lost. -#}
with

source as (

    {{ select_source_columns(source('spreadsheets', 'deal_stage_dates'), {
        'source_name': 'string',
        'record_key': 'string',
        'stage_raw': 'string',
        'stage_code': 'string',
        'is_closing': 'boolean',
        'entered_on': 'date',
        'source_file': 'string',
        'source_row': 'bigint',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        source_name,
        record_key as deal_id,
        trim(stage_raw) as stage_raw,
        stage_code as ingested_stage_code,
        is_closing,
        cast(entered_on as date) as entered_on,
        source_file,
        source_row,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
