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

{#- Days between two timestamps, with fractions (seconds / 86400). -#}
{% macro days_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('days_between')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__days_between(start_ts, end_ts) -%}
    cast({{ dbt.datediff(start_ts, end_ts, 'second') }} as {{ dbt.type_numeric() }}) / 86400
{%- endmacro %}

{#- DuckDB's decimal / integer is a double (5.0, 1.5); Postgres' is a numeric of 16 or more decimals
    (5.0000000000000000): trim_scale drops the trailing zeros, so both print the same. -#}
{% macro postgres__days_between(start_ts, end_ts) -%}
    trim_scale(cast({{ dbt.datediff(start_ts, end_ts, 'second') }} as {{ dbt.type_numeric() }}) / 86400)
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
