{#- How long won deals took from creation to winning, per forecast day F (int_forecast__snapshots): one row per F.
    Learned only from deals won before F's cutoff whose creation time is known (not inferred from a tracker's
    first stage, like fct_deals.cycle_days), over the whole funnel (not per stage: the cycle is the deal's):
      won_cycle_days     whole days from the day of creation to the day of winning
      p90_won_cycle_days its 90th percentile (continuous, macro percentile), 2 decimals; null when no such deal.
    int_forecast__deal_predictions lets the probability of a deal older than this decay (forecast_decay_factor). -#}
with

snapshots as (

    select * from {{ ref('int_forecast__snapshots') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

won_history as (

    select
        snapshots.forecast_date,
        {{ dbt.datediff('deals.created_date', 'deals.closed_date', 'day') }} as won_cycle_days

    from snapshots

    inner join deals
        on snapshots.forecast_cutoff > deals.closed_at

    where
        deals.is_won
        and deals.created_date is not null
        and not deals.is_created_at_inferred

),

stats as (

    select
        forecast_date,
        count(*) as won_deals,
        {{ percentile('won_cycle_days', 0.9) }} as p90_won_cycle_days

    from won_history

    group by 1

),

final as (

    select
        snapshots.forecast_date,
        cast(coalesce(stats.won_deals, 0) as {{ dbt.type_int() }}) as won_deals,
        cast(round(stats.p90_won_cycle_days, 2) as {{ dbt.type_numeric() }}) as p90_won_cycle_days

    from snapshots

    left join stats
        on snapshots.forecast_date = stats.forecast_date

)

select * from final
