{#- How good the forecast is, one row per horizon, over the month-ends of mart_forecast_backtest:
      mae_*          mean absolute error per month-end
      mape_*         mean absolute percentage error (a fraction), over the month-ends with something won
                     (percentage error is undefined without); months_with_wins says how many
      wape_*         sum of absolute errors / sum of actuals: the percentage error that small months cannot blow up
      bias_*         mean error (> 0: the forecast is too high on average)
      brier_score    mean (win_probability − won)² over all deal × month-end pairs scored (brier_deals: a deal open
                     at several month-ends counts at each), base_rate_brier_score the same at the base win rate;
                     brier_skill_score = 1 − brier_score / base_rate_brier_score (> 0: the stages and ages help). -#}
with

backtest as (

    select * from {{ ref('mart_forecast_backtest') }}

),

totals as (

    select
        horizon_months,
        count(*) as months_evaluated,
        min(forecast_month_end) as first_forecast_month_end,
        max(forecast_month_end) as last_forecast_month_end,
        sum(case when actual_won_amount_reporting > 0 then 1 else 0 end) as months_with_wins,
        avg(actual_won_amount_reporting) as avg_actual_won_amount_reporting,
        avg(predicted_won_amount_reporting) as avg_predicted_won_amount_reporting,
        avg(absolute_error_won_amount_reporting) as mae_won_amount_reporting,
        avg(abs(percentage_error_won_amount)) as mape_won_amount,
        {{ safe_divide('sum(absolute_error_won_amount_reporting)', 'sum(actual_won_amount_reporting)') }}
            as wape_won_amount,
        avg(error_won_amount_reporting) as bias_won_amount_reporting,
        avg(absolute_error_won_deals) as mae_won_deals,
        avg(abs(percentage_error_won_deals)) as mape_won_deals,
        avg(error_won_deals) as bias_won_deals,
        sum(brier_deals) as brier_deals,
        {{ safe_divide('sum(brier_score * brier_deals)', 'sum(brier_deals)') }} as brier_score,
        {{ safe_divide('sum(base_rate_brier_score * brier_deals)', 'sum(brier_deals)') }} as base_rate_brier_score

    from backtest

    group by 1

),

final as (

    select
        horizon_months,
        cast(months_evaluated as {{ dbt.type_int() }}) as months_evaluated,
        first_forecast_month_end,
        last_forecast_month_end,
        cast(months_with_wins as {{ dbt.type_int() }}) as months_with_wins,
        {{ forecast_rounded('avg_actual_won_amount_reporting', 2) }} as avg_actual_won_amount_reporting,
        {{ forecast_rounded('avg_predicted_won_amount_reporting', 2) }} as avg_predicted_won_amount_reporting,
        {{ forecast_rounded('mae_won_amount_reporting', 2) }} as mae_won_amount_reporting,
        {{ forecast_rounded('mape_won_amount', 4) }} as mape_won_amount,
        {{ forecast_rounded('wape_won_amount', 4) }} as wape_won_amount,
        {{ forecast_rounded('bias_won_amount_reporting', 2) }} as bias_won_amount_reporting,
        {{ forecast_rounded('mae_won_deals', 4) }} as mae_won_deals,
        {{ forecast_rounded('mape_won_deals', 4) }} as mape_won_deals,
        {{ forecast_rounded('bias_won_deals', 4) }} as bias_won_deals,
        cast(brier_deals as {{ dbt.type_int() }}) as brier_deals,
        {{ forecast_rounded('brier_score', 6) }} as brier_score,
        {{ forecast_rounded('base_rate_brier_score', 6) }} as base_rate_brier_score,
        {{ forecast_rounded('1 - brier_score / nullif(base_rate_brier_score, 0)', 4) }} as brier_skill_score,
        {{ reporting_currency() }} as reporting_currency,
        {{ as_of_date() }} as as_of_date

    from totals

)

select * from final
