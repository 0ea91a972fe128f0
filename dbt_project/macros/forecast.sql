{#- Settings of the win forecast (models/intermediate/forecast, models/marts/forecast), in one place.
    Override with --vars: forecast_prior_weight, forecast_horizons, forecast_backtest_months. -#}

{#- Age-in-stage buckets: whole days since the stage was entered (0 = entered that day). Edges here only. -#}
{% macro forecast_age_buckets() -%}
    {{ return([
        {'code': '0-14', 'min_days': 0, 'max_days': 14},
        {'code': '15-30', 'min_days': 15, 'max_days': 30},
        {'code': '31-60', 'min_days': 31, 'max_days': 60},
        {'code': '61+', 'min_days': 61, 'max_days': none},
    ]) }}
{%- endmacro %}

{#- The bucket of a number of whole days in the stage; 'unknown' when the entry time is not known (null). -#}
{% macro forecast_age_bucket(days_expr) -%}
    case
        {%- for bucket in forecast_age_buckets() %}
        {%- if bucket.max_days is not none %}
        when {{ days_expr }} <= {{ bucket.max_days }} then '{{ bucket.code }}'
        {%- else %}
        when {{ days_expr }} >= {{ bucket.min_days }} then '{{ bucket.code }}'
        {%- endif %}
        {%- endfor %}
        else 'unknown'
    end
{%- endmacro %}

{#- The buckets as rows (age_bucket, age_bucket_order, min_days, max_days), for a CTE. The 'unknown' bucket has
    no days: no history visit falls in it, so its smoothed rate is the stage's rate. -#}
{% macro forecast_age_bucket_rows() -%}
    {%- for bucket in forecast_age_buckets() %}
    select
        cast('{{ bucket.code }}' as {{ dbt.type_string() }}) as age_bucket,
        {{ loop.index }} as age_bucket_order,
        {{ bucket.min_days }} as min_days,
        {{ bucket.max_days if bucket.max_days is not none else 'cast(null as ' ~ dbt.type_int() ~ ')' }} as max_days
    union all
    {%- endfor %}
    select
        cast('unknown' as {{ dbt.type_string() }}) as age_bucket,
        {{ forecast_age_buckets() | length + 1 }} as age_bucket_order,
        cast(null as {{ dbt.type_int() }}) as min_days,
        cast(null as {{ dbt.type_int() }}) as max_days
{%- endmacro %}

{#- k of the smoothing (won + k × prior) / (closed + k): how many closed deals' worth of weight the prior gets. -#}
{% macro forecast_prior_weight() -%}
    {{ return(var('forecast_prior_weight', 5)) }}
{%- endmacro %}

{#- Backtest horizons in months after the forecast month-end (1 = the next calendar month). -#}
{% macro forecast_horizons() -%}
    {{ return(var('forecast_horizons', [1, 3])) }}
{%- endmacro %}

{#- How many past month-ends the backtest judges per horizon (the latest whose window has fully passed). -#}
{% macro forecast_backtest_months() -%}
    {{ return(var('forecast_backtest_months', 12)) }}
{%- endmacro %}

{#- The open deals of fct_deals on the as-of day are exactly the deals of the model, in the same stage: the stage
    history rebuilt from fct_deal_stage_events agrees with the deals' own state. Fails with every deal that is
    missing, extra or in another stage. -#}
{% test forecast_covers_open_deals(model, stage_column='stage_code') %}

with

open_deals as (

    select
        deal_id,
        current_stage_code as stage_code

    from {{ ref('fct_deals') }}

    where is_open

),

forecast as (

    select
        deal_id,
        {{ stage_column }} as stage_code

    from {{ model }}

)

select
    coalesce(open_deals.deal_id, forecast.deal_id) as deal_id,
    open_deals.stage_code as open_deal_stage_code,
    forecast.stage_code as forecast_stage_code

from open_deals

full outer join forecast
    on open_deals.deal_id = forecast.deal_id

where
    open_deals.deal_id is null
    or forecast.deal_id is null
    or open_deals.stage_code <> forecast.stage_code

{% endtest %}

{#- The column is a probability: between 0 and 1 (null allowed). -#}
{% test forecast_is_probability(model, column_name) %}

select {{ column_name }} as probability

from {{ model }}

where {{ column_name }} < 0 or {{ column_name }} > 1

{% endtest %}
