{#- Continuous percentile (median = 0.5, p90 = 0.9) as an aggregate. percentile_cont ... within group works on
    DuckDB, Postgres, Snowflake and Redshift; BigQuery gets approx_quantiles. -#}
{% macro percentile(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile')(expr, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{#- Postgres' percentile_cont takes and returns double precision, which its round(x, digits) does not take: numeric. -#}
{% macro postgres__percentile(expr, fraction) -%}
    cast(percentile_cont({{ fraction }}) within group (order by {{ expr }}) as numeric)
{%- endmacro %}

{% macro bigquery__percentile(expr, fraction) -%}
    approx_quantiles({{ expr }}, 100)[offset({{ (fraction * 100) | int }})]
{%- endmacro %}

{#- Whole calendar days between two timestamps: the difference of their (UTC) dates, as CRMs and BI tools count
    them (2024-03-05 23:00 → 2024-03-06 01:00 = 1 day; 09:00 → 17:00 the same day = 0). -#}
{% macro whole_days_between(start_ts, end_ts) -%}
    {{ dbt.datediff('cast(' ~ start_ts ~ ' as date)', 'cast(' ~ end_ts ~ ' as date)', 'day') }}
{%- endmacro %}

{#- numerator / denominator, null when the denominator is 0 or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ dbt.type_numeric() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro postgres__safe_divide(numerator, denominator) -%}
    trim_scale(cast({{ numerator }} as {{ dbt.type_numeric() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}
