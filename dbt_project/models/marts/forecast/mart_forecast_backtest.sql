{#- The forecast judged against what really happened: one row per past month-end M and horizon h
    (int_forecast__backtest_windows: the latest 12 month-ends whose window of h calendar months after M has fully
    passed by the as-of day). The forecast of M is the published model run as of M (int_forecast__deal_predictions:
    deals open at M rebuilt from the stage history, probabilities (their fallback and their decay past the
    won-cycle p90 included) and close times learned only from deals closed before M).
      predicted_won_*   sum of win_probability (deals) or weighted amount (reporting currency) over the deals open
                        at M whose expected_close_date falls in the window
      actual_won_*      of the deals open at M, those won with closed_date in the window (fct_deals)
      error             predicted − actual (> 0: the forecast was too high); percentage_error = error / actual
                        (a fraction; null when nothing was won)
      brier_score       mean of (win_probability − won)² over the deals open at M that closed (won or lost) in the
                        window (brier_deals; when nothing closed before M the deals at M only have the prior's
                        0.5 and no base rate to compare with, so they are left out); base_rate_brier_score the same
                        with every deal at M's base win rate: the forecast a model must beat to be worth its stages
                        and ages
      other_won_*       wins in the window by deals that were not open at M (created after M, or whose inferred
                        tracker history starts later): outside a pipeline forecast by definition, shown for scale.
    Amounts are today's (no history of amounts). -#}
with

windows as (

    select * from {{ ref('int_forecast__backtest_windows') }}

),

predictions as (

    select * from {{ ref('int_forecast__deal_predictions') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

scored as (

    select
        windows.forecast_date,
        windows.horizon_months,
        predictions.deal_id,
        predictions.amount_reporting,
        predictions.win_probability,
        predictions.base_win_rate,
        predictions.weighted_amount_reporting,
        case
            when predictions.expected_close_date between windows.window_start and windows.window_end then 1 else 0
        end as is_expected_in_window,
        case
            when deals.is_won and deals.closed_date between windows.window_start and windows.window_end then 1 else 0
        end as is_won_in_window,
        case
            when
                deals.closed_date between windows.window_start and windows.window_end
                and predictions.base_win_rate is not null
                then 1
            else 0
        end as is_brier_scored

    from windows

    inner join predictions
        on windows.forecast_date = predictions.forecast_date

    inner join deals
        on predictions.deal_id = deals.deal_id

),

pipeline as (

    select
        forecast_date,
        horizon_months,
        count(*) as open_deals,
        sum(amount_reporting) as open_amount_reporting,
        sum(is_expected_in_window * win_probability) as predicted_won_deals,
        sum(is_expected_in_window * weighted_amount_reporting) as predicted_won_amount_reporting,
        sum(is_won_in_window) as actual_won_deals,
        sum(is_won_in_window * amount_reporting) as actual_won_amount_reporting,
        sum(is_brier_scored) as brier_deals,
        sum(
            is_brier_scored * (win_probability - is_won_in_window) * (win_probability - is_won_in_window)
        ) as squared_error_sum,
        sum(
            is_brier_scored * (base_win_rate - is_won_in_window) * (base_win_rate - is_won_in_window)
        ) as base_rate_squared_error_sum

    from scored

    group by 1, 2

),

all_wins as (

    select
        windows.forecast_date,
        windows.horizon_months,
        count(*) as won_deals,
        sum(deals.amount_reporting) as won_amount_reporting

    from windows

    inner join deals
        on deals.is_won and deals.closed_date between windows.window_start and windows.window_end

    group by 1, 2

),

judged as (

    select
        windows.forecast_date,
        windows.horizon_months,
        windows.window_start,
        windows.window_end,
        coalesce(pipeline.open_deals, 0) as open_deals,
        coalesce(pipeline.open_amount_reporting, 0) as open_amount_reporting,
        coalesce(pipeline.predicted_won_deals, 0) as predicted_won_deals,
        coalesce(pipeline.actual_won_deals, 0) as actual_won_deals,
        coalesce(pipeline.predicted_won_amount_reporting, 0) as predicted_won_amount_reporting,
        coalesce(pipeline.actual_won_amount_reporting, 0) as actual_won_amount_reporting,
        coalesce(pipeline.brier_deals, 0) as brier_deals,
        {{ safe_divide('pipeline.squared_error_sum', 'pipeline.brier_deals') }} as brier_score,
        {{ safe_divide('pipeline.base_rate_squared_error_sum', 'pipeline.brier_deals') }}
            as base_rate_brier_score,
        {{ safe_divide('pipeline.predicted_won_deals - pipeline.actual_won_deals', 'pipeline.actual_won_deals') }}
            as percentage_error_won_deals,
        {{ safe_divide(
            'pipeline.predicted_won_amount_reporting - pipeline.actual_won_amount_reporting',
            'pipeline.actual_won_amount_reporting'
        ) }} as percentage_error_won_amount,
        coalesce(all_wins.won_deals, 0) - coalesce(pipeline.actual_won_deals, 0) as other_won_deals,
        coalesce(all_wins.won_amount_reporting, 0) - coalesce(pipeline.actual_won_amount_reporting, 0)
            as other_won_amount_reporting

    from windows

    left join pipeline
        on
            windows.forecast_date = pipeline.forecast_date
            and windows.horizon_months = pipeline.horizon_months

    left join all_wins
        on
            windows.forecast_date = all_wins.forecast_date
            and windows.horizon_months = all_wins.horizon_months

),

final as (

    select
        forecast_date as forecast_month_end,
        horizon_months,
        window_start,
        window_end,
        cast(open_deals as {{ dbt.type_int() }}) as open_deals,
        cast(round(open_amount_reporting, 2) as {{ dbt.type_numeric() }}) as open_amount_reporting,
        cast(round(predicted_won_deals, 4) as {{ dbt.type_numeric() }}) as predicted_won_deals,
        cast(actual_won_deals as {{ dbt.type_int() }}) as actual_won_deals,
        cast(round(predicted_won_deals - actual_won_deals, 4) as {{ dbt.type_numeric() }}) as error_won_deals,
        cast(round(abs(predicted_won_deals - actual_won_deals), 4) as {{ dbt.type_numeric() }})
            as absolute_error_won_deals,
        {{ forecast_rounded('percentage_error_won_deals', 4) }} as percentage_error_won_deals,
        cast(round(predicted_won_amount_reporting, 2) as {{ dbt.type_numeric() }}) as predicted_won_amount_reporting,
        cast(round(actual_won_amount_reporting, 2) as {{ dbt.type_numeric() }}) as actual_won_amount_reporting,
        cast(round(predicted_won_amount_reporting - actual_won_amount_reporting, 2) as {{ dbt.type_numeric() }})
            as error_won_amount_reporting,
        cast(round(abs(predicted_won_amount_reporting - actual_won_amount_reporting), 2) as {{ dbt.type_numeric() }})
            as absolute_error_won_amount_reporting,
        {{ forecast_rounded('percentage_error_won_amount', 4) }} as percentage_error_won_amount,
        cast(brier_deals as {{ dbt.type_int() }}) as brier_deals,
        {{ forecast_rounded('brier_score', 6) }} as brier_score,
        {{ forecast_rounded('base_rate_brier_score', 6) }} as base_rate_brier_score,
        cast(other_won_deals as {{ dbt.type_int() }}) as other_won_deals,
        cast(round(other_won_amount_reporting, 2) as {{ dbt.type_numeric() }}) as other_won_amount_reporting,
        {{ reporting_currency() }} as reporting_currency,
        {{ as_of_date() }} as as_of_date

    from judged

)

select * from final
