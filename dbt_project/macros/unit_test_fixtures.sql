{#- dbt's unit tests cast every fixture value with safe_cast. A seed given as a fixture without rows (e.g.
    `- input: ref('funnel_stages')`) is read from its CSV, where an empty cell is the string ''. DuckDB's safe_cast is
    try_cast, so '' becomes null in an integer column; Postgres' is a plain cast, which fails on ''. Here an empty
    string literal cast to a type that is not text is null on Postgres too, as in the seeds themselves. -#}
{% macro postgres__safe_cast(field, type) -%}
    {%- set type_name = (type | string | lower) -%}
    {%- if (field | string | trim) == "''" and 'char' not in type_name and 'text' not in type_name -%}
        cast(null as {{ type }})
    {%- else -%}
        cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
