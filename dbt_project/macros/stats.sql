{#- Continuous percentile (median = 0.5, p90 = 0.9) as an aggregate. percentile_cont ... within group works on
    DuckDB, Postgres, Snowflake and Redshift; BigQuery gets approx_quantiles. -#}
{% macro percentile(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile')(expr, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro bigquery__percentile(expr, fraction) -%}
    approx_quantiles({{ expr }}, 100)[offset({{ (fraction * 100) | int }})]
{%- endmacro %}

{#- Days between two timestamps, with fractions (seconds / 86400). -#}
{% macro days_between(start_ts, end_ts) -%}
    cast({{ dbt.datediff(start_ts, end_ts, 'second') }} as {{ dbt.type_numeric() }}) / 86400
{%- endmacro %}

{#- numerator / denominator, null when the denominator is 0 or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ dbt.type_numeric() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
