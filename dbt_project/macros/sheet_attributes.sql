{#- The attribute files of a spreadsheet entity, one row per (attribute_of, id): each column's value from the files
    that give one (the largest when two files disagree). The entity's own sheet wins over them (coalesce first). -#}
{% macro attributes_by_record(relation, id_column) -%}
    select
        attribute_of,
        {{ id_column }},
        max(owner_name) as owner_name,
        max(owner_name_key) as owner_name_key,
        max(segment) as segment,
        max(lead_type) as lead_type,
        max(product) as product,
        max(declared_revenue) as declared_revenue,
        max(industry) as industry,
        max(company_size) as company_size

    from {{ relation }}

    group by 1, 2
{%- endmacro %}

{#- Attribute files of spreadsheet deals or leads (entity deal_attributes / lead_attributes in mapping.yaml): one row
    per entry (source_name) and deal / lead, naming the entry it completes (attribute_of, the entry's `of`). -#}
{% macro stage_sheet_attributes(entity) -%}
with

source as (

    {{ select_source_columns(source('spreadsheets', entity ~ '_attributes'), {
        'source_name': 'string',
        'record_key': 'string',
        'attribute_of': 'string',
        entity ~ '_id': 'string',
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
        coalesce(nullif(trim({{ entity }}_id), ''), record_key) as {{ entity }}_id,
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
{%- endmacro %}
