{#- How long won deals took to close from a stage: one row per forecast day F (int_forecast__snapshots) and open
    stage. Learned only from deals won before F's cutoff, from their visits of the stage that were in it at the
    end of at least one day (visit_days >= 1, the same visits int_forecast__win_rates learns from):
      median_days_entry_to_close  median whole days from the day the stage was entered to the day of winning
      median_days_exit_to_close   median whole days from the day the stage was left to the day of winning
    (continuous median, macro percentile). int_forecast__deal_predictions turns them into an expected close
    date. Null when no won deal visited the stage before F. -#}
with

snapshots as (

    select * from {{ ref('int_forecast__snapshots') }}

),

visits as (

    select * from {{ ref('int_forecast__stage_visits') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

won_history as (

    select
        snapshots.forecast_date,
        visits.stage_code,
        visits.days_entry_to_close,
        visits.days_exit_to_close

    from snapshots

    inner join visits
        on snapshots.forecast_cutoff > visits.closed_at

    where visits.is_won and visits.visit_days >= 1

),

stats as (

    select
        forecast_date,
        stage_code,
        count(*) as won_visits,
        {{ percentile('days_entry_to_close', 0.5) }} as median_days_entry_to_close,
        {{ percentile('days_exit_to_close', 0.5) }} as median_days_exit_to_close

    from won_history

    group by 1, 2

),

grid as (

    select
        snapshots.forecast_date,
        stages.stage_code

    from snapshots

    cross join stages

    where stages.stage_type = 'open'

),

final as (

    select
        grid.forecast_date,
        grid.stage_code,
        cast(coalesce(stats.won_visits, 0) as {{ dbt.type_int() }}) as won_visits,
        cast(stats.median_days_entry_to_close as {{ dbt.type_numeric() }}) as median_days_entry_to_close,
        cast(stats.median_days_exit_to_close as {{ dbt.type_numeric() }}) as median_days_exit_to_close

    from grid

    left join stats
        on
            grid.forecast_date = stats.forecast_date
            and grid.stage_code = stats.stage_code

)

select * from final
