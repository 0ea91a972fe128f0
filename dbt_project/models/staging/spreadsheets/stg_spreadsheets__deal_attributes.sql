{#- Attribute files of deals: every mapping entry with `entity: deal_attributes`, one row per entry (source_name) and
    deal, naming the deals entry it completes (attribute_of, the entry's `of`). -#}
with

source as (

    {{ select_source_columns(source('spreadsheets', 'deal_attributes'), {
        'source_name': 'string',
        'record_key': 'string',
        'attribute_of': 'string',
        'deal_id': 'string',
        'owner_name': 'string',
        'segment': 'string',
        'lead_type': 'string',
        'product': 'string',
        'declared_revenue': 'numeric',
        'industry': 'string',
        'company_size': 'string',
        'source_file': 'string',
        'source_row': 'bigint',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        source_name,
        attribute_of,
        coalesce(nullif(trim(deal_id), ''), record_key) as deal_id,
        trim(owner_name) as owner_name,
        {{ person_name_key('owner_name') }} as owner_name_key,
        nullif(trim(segment), '') as segment,
        nullif(trim(lead_type), '') as lead_type,
        nullif(trim(product), '') as product,
        cast(declared_revenue as {{ dbt.type_numeric() }}) as declared_revenue,
        nullif(trim(industry), '') as industry,
        nullif(trim(company_size), '') as company_size,
        source_file,
        source_row,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
