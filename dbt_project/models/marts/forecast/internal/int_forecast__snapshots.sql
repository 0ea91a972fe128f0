{#- The days the forecast is made as of: the as-of day (mart_forecast) and every month-end the backtest judges
    (mart_forecast_backtest). One code path serves both, so the backtest judges the very model that is published.
    forecast_cutoff is the first moment after the day: the forecast of day F sees only what happened before it. -#}
with

windows as (

    select * from {{ ref('int_forecast__backtest_windows') }}

),

backtest_days as (

    select distinct forecast_date

    from windows

),

snapshot_days as (

    select
        {{ as_of_date() }} as forecast_date,
        'as_of' as snapshot_type

    union all

    select
        forecast_date,
        'backtest' as snapshot_type

    from backtest_days

),

final as (

    select
        forecast_date,
        cast({{ dbt.dateadd('day', 1, 'forecast_date') }} as {{ dbt.type_timestamp() }}) as forecast_cutoff,
        cast(snapshot_type as {{ dbt.type_string() }}) as snapshot_type

    from snapshot_days

)

select * from final
