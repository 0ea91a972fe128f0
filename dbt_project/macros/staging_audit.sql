{#- The quarantine and reconciliation tables have the same shape in every raw dataset (ingestion/common). -#}

{% macro stage_quarantine(source_name) -%}
with

source as (

    {{ select_source_columns(source(source_name, 'quarantine'), {
        'input_name': 'string',
        'row_number': 'bigint',
        'entity': 'string',
        'field': 'string',
        'raw_value': 'string',
        'reason': 'string',
        'quarantined_at': 'timestamp',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        '{{ source_name }}' as source_name,
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

{% macro stage_reconciliation(source_name) -%}
with

source as (

    {{ select_source_columns(source(source_name, 'reconciliation'), {
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

),

renamed as (

    select
        '{{ source_name }}' as source_name,
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
