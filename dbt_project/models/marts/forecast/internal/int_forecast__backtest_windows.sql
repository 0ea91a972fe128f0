{#- The windows the backtest judges: for each horizon h (months, macro forecast_horizons) the latest
    forecast_backtest_months() month-ends M before the as-of day whose window has fully passed. The window of M
    is the h calendar months after M: from the day after M to the last day of the h-th month after M; it has
    passed when its last day is on or before the as-of day. -#}
with

dates as (

    select * from {{ ref('dim_date') }}

),

month_ends as (

    select date_day as forecast_date

    from dates

    where
        date_day = cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date)
        and date_day < {{ as_of_date() }}

),

horizons as (

    {%- for horizon in forecast_horizons() %}

    select {{ horizon }} as horizon_months
    {% if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

windows as (

    select
        month_ends.forecast_date,
        horizons.horizon_months,
        cast({{ dbt.dateadd('day', 1, 'month_ends.forecast_date') }} as date) as window_start,
        cast({{ dbt.dateadd(
            'day', -1,
            dbt.dateadd('month', 'horizons.horizon_months + 1', dbt.date_trunc('month', 'month_ends.forecast_date'))
        ) }} as date) as window_end

    from month_ends

    cross join horizons

),

passed as (

    select
        *,
        row_number() over (
            partition by horizon_months
            order by forecast_date desc
        ) as window_recency

    from windows

    where window_end <= {{ as_of_date() }}

),

final as (

    select
        forecast_date,
        cast(horizon_months as {{ dbt.type_int() }}) as horizon_months,
        window_start,
        window_end

    from passed

    where window_recency <= {{ forecast_backtest_months() }}

)

select * from final
