{#- A timestamp with time zone as a plain UTC timestamp, whatever the session's time zone.
    timezone('UTC', ts) means the same on DuckDB and Postgres; other warehouses dispatch. -#}
{% macro to_utc(expr) -%}
    {{ return(adapter.dispatch('to_utc')(expr)) }}
{%- endmacro %}

{% macro default__to_utc(expr) -%}
    timezone('UTC', {{ expr }})
{%- endmacro %}

{#- Spark's timestamp is an instant shown in the session's time zone, which funnelhouse's sessions set to UTC
    (spark_session.spark_conf, profiles.yml): the plain UTC timestamp is the same value. -#}
{% macro spark__to_utc(expr) -%}
    cast({{ expr }} as timestamp)
{%- endmacro %}

{#- The type of a timestamp with time zone (an instant), as dlt writes every timestamp. -#}
{% macro type_timestamp_tz() -%}
    {{ return(adapter.dispatch('type_timestamp_tz')()) }}
{%- endmacro %}

{% macro default__type_timestamp_tz() -%}
    timestamp with time zone
{%- endmacro %}

{#- Spark's timestamp (TIMESTAMP_LTZ) is the instant; its timestamp_ntz the wall-clock one. -#}
{% macro spark__type_timestamp_tz() -%}
    timestamp
{%- endmacro %}

{% macro snowflake__to_utc(expr) -%}
    cast(convert_timezone('UTC', {{ expr }}) as timestamp_ntz)
{%- endmacro %}

{% macro bigquery__to_utc(expr) -%}
    datetime({{ expr }}, 'UTC')
{%- endmacro %}

{#- The whole numbers 0 .. 10^digits − 1 as column day_number: one cross join of the ten digits per decimal place,
    portable SQL for a spine whose bounds are computed in SQL (dbt.date_spine and dbt.generate_series need literals). -#}
{% macro day_numbers(digits) -%}
    select
        {%- for place in range(digits) %}
        {% if not loop.first %}+ {% endif %}place_{{ place }}.digit * {{ 10 ** place }}
        {%- endfor %} as day_number

    from
        {%- for place in range(digits) %}
        {% if not loop.first %}cross join {% endif %}(
            select digit from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as place_digits (digit)
        ) as place_{{ place }}
        {%- endfor %}
{%- endmacro %}
