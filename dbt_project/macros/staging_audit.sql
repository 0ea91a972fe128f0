{#- The quarantine and reconciliation tables have the same shape in every raw dataset (ingestion/common). -#}

{% macro quarantine_columns() -%}
    {{ return({
        'input_name': 'string',
        'row_number': 'bigint',
        'entity': 'string',
        'field': 'string',
        'raw_value': 'string',
        'reason': 'string',
        'quarantined_at': 'timestamp',
        '_dlt_load_id': 'string',
    }) }}
{%- endmacro %}

{% macro reconciliation_columns() -%}
    {{ return({
        'source': 'string',
        'input_name': 'string',
        'input_kind': 'string',
        'rows_read': 'bigint',
        'rows_loaded': 'bigint',
        'rows_quarantined': 'bigint',
        'status': 'string',
        'detail': 'string',
        'load_id': 'string',
        'reconciled_at': 'timestamp',
    }) }}
{%- endmacro %}

{#- stage_quarantine / stage_reconciliation of one raw dataset; with `rows` (a select of the columns above plus
    source_name, e.g. union_rest_crm's over every YAML CRM) the rows' own source_name is kept. -#}
{% macro stage_quarantine(source_name, rows=none) -%}
with

source as (

    {{ rows if rows is not none else select_source_columns(source(source_name, 'quarantine'), quarantine_columns()) }}

),

renamed as (

    select
        {{ 'source_name' if rows is not none else "'" ~ source_name ~ "'" }} as source_name,
        input_name,
        row_number as input_row,
        entity,
        field,
        reason,
        {{ to_utc('quarantined_at') }} as quarantined_at,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
{%- endmacro %}

{% macro stage_reconciliation(source_name, rows=none) -%}
with

source as (

    {{ rows if rows is not none else select_source_columns(source(source_name, 'reconciliation'), reconciliation_columns()) }}

),

renamed as (

    select
        {{ 'source_name' if rows is not none else "'" ~ source_name ~ "'" }} as source_name,
        input_name,
        input_kind,
        rows_read,
        rows_loaded,
        rows_quarantined,
        status,
        detail,
        load_id as source_load_id,
        {{ to_utc('reconciled_at') }} as reconciled_at

    from source

)

select * from renamed
{%- endmacro %}
