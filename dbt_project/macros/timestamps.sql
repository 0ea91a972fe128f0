{#- A timestamp with time zone as a plain UTC timestamp, whatever the session's time zone.
    timezone('UTC', ts) means the same on DuckDB and Postgres; other warehouses dispatch. -#}
{% macro to_utc(expr) -%}
    {{ return(adapter.dispatch('to_utc')(expr)) }}
{%- endmacro %}

{% macro default__to_utc(expr) -%}
    timezone('UTC', {{ expr }})
{%- endmacro %}

{% macro snowflake__to_utc(expr) -%}
    cast(convert_timezone('UTC', {{ expr }}) as timestamp_ntz)
{%- endmacro %}

{% macro bigquery__to_utc(expr) -%}
    datetime({{ expr }}, 'UTC')
{%- endmacro %}
