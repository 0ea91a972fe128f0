{#- Select the listed columns of a raw table, tolerating what ingestion has not written (yet):
    a missing column comes out as a typed null, a missing table as an empty result with the same columns.
    `columns` maps column name -> type key: string, timestamp, utc_timestamp, date, numeric, bigint, integer,
    boolean. A missing timestamp is a timestamp with time zone, as dlt writes every timestamp; utc_timestamp is the
    plain UTC timestamp staging makes of it (to_utc), integer the int of counts derived in SQL. -#}

{% macro column_type(type_key) -%}
    {%- if type_key == 'string' -%}{{ dbt.type_string() }}
    {%- elif type_key == 'timestamp' -%}{{ type_timestamp_tz() }}
    {%- elif type_key == 'utc_timestamp' -%}{{ dbt.type_timestamp() }}
    {%- elif type_key == 'date' -%}date
    {%- elif type_key == 'numeric' -%}{{ dbt.type_numeric() }}
    {%- elif type_key == 'bigint' -%}{{ dbt.type_bigint() }}
    {%- elif type_key == 'integer' -%}{{ dbt.type_int() }}
    {%- elif type_key == 'boolean' -%}{{ dbt.type_boolean() }}
    {%- else -%}{{ exceptions.raise_compiler_error("unknown column type key " ~ type_key) }}
    {%- endif -%}
{%- endmacro %}

{% macro select_source_columns(relation, columns) -%}
    {%- set existing = [] -%}
    {%- set found = none -%}
    {%- if execute -%}
        {%- set found = load_relation(relation) -%}
        {%- if found is not none -%}
            {%- for column in adapter.get_columns_in_relation(found) -%}
                {%- do existing.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif %}
    select
    {{- filled_columns(columns, existing) }}
    {%- if found is not none or not execute %}
    from {{ relation }}
    {%- else %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{#- `columns` (name -> type key) as a select list: a name in `present` (lower-cased names) as itself, any other as a
    typed null; at parse time (nothing queried yet) every name as itself. -#}
{% macro filled_columns(columns, present) -%}
    {%- for name, type_key in columns.items() %}
        {% if name | lower in present or not execute -%}
            {{ name }}
        {%- else -%}
            cast(null as {{ column_type(type_key) }}) as {{ name }}
        {%- endif -%}
        {{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- `columns` (name -> type key) as typed nulls, no rows: a model whose input is absent keeps its columns. -#}
{% macro typed_empty_select(columns) -%}
    select
    {%- for name, type_key in columns.items() %}
        cast(null as {{ column_type(type_key) }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
    where 1 = 0
{%- endmacro %}
