{#- Seeds on Spark: the seed files type their text columns varchar (DuckDB, Postgres), which Spark takes
    only with a length; there it is string. dbt-spark's own create_csv_table after that one change to the
    column_types (load_csv_rows, which runs next, reads the same changed types). -#}
{% macro spark__create_csv_table(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- for name, type in column_override.items() -%}
    {%- if (type | string | trim | lower) == 'varchar' -%}
      {%- do column_override.update({name: dbt.type_string()}) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}

  {% set sql %}
    create table {{ this.render() }} (
        {%- for col_name in agate_table.column_names -%}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
            {%- set type = column_override.get(col_name, inferred_type) -%}
            {%- set column_name = (col_name | string) -%}
            {{ adapter.quote_seed_column(column_name, quote_seed_column) }} {{ type }}
            {%- if not loop.last -%}, {%- endif -%}
        {%- endfor -%}
    )
    {{ file_format_clause() }}
    {{ partition_cols(label="partitioned by") }}
    {{ clustered_cols(label="clustered by") }}
    {{ location_clause() }}
    {{ comment_clause() }}
  {% endset %}

  {% call statement('_') -%}
    {{ sql }}
  {%- endcall %}

  {{ return(sql) }}
{% endmacro %}
