{#- Model contracts on Spark: the marts' YAML types their text columns varchar (DuckDB, Postgres), which Spark
    takes only with a length. dbt's empty select of the contract's columns, each varchar read as string. -#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set spark_columns = {} -%}
    {%- for name in columns -%}
        {%- set column = columns[name] -%}
        {%- if (column.get('data_type') or '') | trim | lower == 'varchar' -%}
            {%- set column = dict(column, data_type=dbt.type_string()) -%}
        {%- endif -%}
        {%- do spark_columns.update({name: column}) -%}
    {%- endfor -%}
    {{ return(dbt.default__get_empty_schema_sql(spark_columns)) }}
{% endmacro %}
