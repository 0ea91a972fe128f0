with

source as (

    {{ select_source_columns(source('spreadsheets', 'marketing_spend'), {
        'month': 'date',
        'channel': 'string',
        'amount_cny': 'numeric',
        'source_file': 'string',
        'source_row': 'bigint',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        cast(month as date) as spend_month,
        trim(channel) as channel,
        cast(amount_cny as {{ dbt.type_numeric() }}) as amount_cny,
        source_file,
        source_row,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
