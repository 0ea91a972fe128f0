{#- Product lookup sheets (`entity: products`, e.g. Maven's products.csv): one row per entry (source_name) and
    product, with its series and list price. Joined to spreadsheet deals by product name (int_deals). -#}
with

source as (

    {{ select_source_columns(source('spreadsheets', 'products'), {
        'source_name': 'string',
        'product': 'string',
        'series': 'string',
        'list_price': 'numeric',
        'entry_currency': 'string',
        'source_file': 'string',
        'source_row': 'bigint',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        source_name,
        trim(product) as product,
        lower(trim(product)) as product_key,
        nullif(trim(series), '') as series,
        cast(list_price as {{ dbt.type_numeric() }}) as list_price,
        upper(entry_currency) as currency_code,
        source_file,
        source_row,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
