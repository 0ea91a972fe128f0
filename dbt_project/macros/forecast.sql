{#- Settings of the win forecast (models/marts/forecast), in one place. Override with --vars:
    forecast_prior_weight, forecast_pooled_prior_won, forecast_pooled_prior_lost, forecast_min_cell_visits,
    forecast_decay_half_life, forecast_decay_floor, forecast_horizons, forecast_backtest_months. -#}

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

{#- A number setting of the forecast, checked: a one-line error naming the var when it is out of range. -#}
{% macro forecast_number_var(name, default, minimum, maximum=none, minimum_allowed=false) -%}
    {%- set value = var(name, default) -%}
    {%- set ok = value is number and (value > minimum or (minimum_allowed and value == minimum))
        and (maximum is none or value <= maximum) -%}
    {%- if not ok -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " = " ~ value ~ ": must be a number " ~ (">= " if minimum_allowed else "> ") ~ minimum
            ~ (" and <= " ~ maximum if maximum is not none else "") ~ " (dbt_project.yml or --vars)"
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- k of the smoothing (won + k × coarser rate) / (closed + k): how many closed visits' worth of weight the coarser
    level's rate gets in a cell. Above 0, so a cell never reaches 0 or 1 on its own evidence. -#}
{% macro forecast_prior_weight() -%}
    {{ return(forecast_number_var('forecast_prior_weight', 5, 0)) }}
{%- endmacro %}

{#- Beta(won, lost) prior of the pooled win rate: (won deals + won) / (closed deals + won + lost). Both above 0, so
    the pooled rate is never exactly 0 or 1; Beta(1, 1) (uniform) is Laplace's rule of succession. -#}
{% macro forecast_pooled_prior() -%}
    {{ return({
        'won': forecast_number_var('forecast_pooled_prior_won', 1, 0),
        'lost': forecast_number_var('forecast_pooled_prior_lost', 1, 0),
    }) }}
{%- endmacro %}

{#- Closed visits a stage × age cell (or a stage) needs before its own rate is used; below it the forecast falls
    back to the stage, then to the pooled rate. A cell without any closed visit always falls back (so 0 acts as 1). -#}
{% macro forecast_min_cell_visits() -%}
    {{ return([forecast_number_var('forecast_min_cell_visits', 5, 0, minimum_allowed=true), 1] | max) }}
{%- endmacro %}

{#- Decay of an open deal older than the won-cycle p90: the probability halves every half_life × p90 days past the
    p90 (half_life in p90s, default 1), and the factor never falls below floor (so it never rounds to 0). -#}
{% macro forecast_decay() -%}
    {{ return({
        'half_life': forecast_number_var('forecast_decay_half_life', 1, 0),
        'floor': forecast_number_var('forecast_decay_floor', 0.05, 0, 1),
    }) }}
{%- endmacro %}

{#- The decay factor of a deal age_days old when won deals closed within p90_days (the won-cycle p90): 1 up to the
    p90 (or when either is unknown), then 0.5 ^ ((age − p90) / (half_life × max(p90, 1))), at least floor. -#}
{% macro forecast_decay_factor(age_days, p90_days) -%}
    {%- set decay = forecast_decay() -%}
    case
        when {{ age_days }} is null or {{ p90_days }} is null or {{ age_days }} <= {{ p90_days }} then 1
        else greatest(
            {{ decay.floor }},
            power(
                0.5,
                ({{ age_days }} - {{ p90_days }})
                / ({{ decay.half_life }} * (case when {{ p90_days }} >= 1 then {{ p90_days }} else 1 end))
            )
        )
    end
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

{#- round(expr, digits) as the project's decimal type, the same digits on every engine for an average or a
    quotient: DuckDB computes those as doubles (0.30345 is 0.3034499…, rounded down), Postgres as exact numerics
    (rounded half away from zero, up). Casting to a decimal with 3 more digits first snaps the double to the decimal
    it stands for. -#}
{% macro forecast_rounded(expr, digits) -%}
    cast(round(cast({{ expr }} as numeric(38, {{ digits + 3 }})), {{ digits }}) as {{ dbt.type_numeric() }})
{%- endmacro %}
