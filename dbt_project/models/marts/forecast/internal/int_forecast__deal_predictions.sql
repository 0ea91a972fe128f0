{#- The forecast of every deal open on a forecast day F (int_forecast__snapshots): one row per F and deal.
    The deal's state on F is rebuilt from fct_deal_stage_events before F's cutoff (its last stage entered then;
    open = that stage is an open one), never from fct_deals' current state, so a past F sees the deal as it was.
      days_in_stage        whole days from the day the stage was entered to F; null when the entry time is not
                           known (bucket 'unknown').
      cell_win_probability int_forecast__win_rates of the stage and age bucket on F (its probability_basis:
                           the bucket, or the stage / pooled rate it falls back to with too few closed visits).
      deal_age_days        whole days from the deal's creation day to F (an inferred tracker creation is the
                           first stage entry: a lower bound, so the decay is if anything too small).
      decay_factor         forecast_decay_factor of deal_age_days against p90_won_cycle_days on F
                           (int_forecast__won_cycles): 1 up to the p90, then halving every p90 past it
                           (forecast_decay_half_life), never below forecast_decay_floor; 1 when either is unknown.
      win_probability      cell_win_probability × decay_factor (6 decimals, like decay_factor).
      expected_days_to_close  from int_forecast__close_times of the stage on F, T = median days entry → close,
                           X = median days exit → close: the larger of T − days_in_stage (unknown age: T) and X,
                           at least 1 (still open at the end of F), rounded to whole days. A deal already older
                           than the typical T still needs the time won deals took after leaving the stage.
      expected_close_date  F + expected_days_to_close; null when no won deal visited the stage before F.
    amount_reporting and owner_id are the deal's current ones (fct_deals keeps no history of them). -#}
with

snapshots as (

    select * from {{ ref('int_forecast__snapshots') }}

),

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

win_rates as (

    select * from {{ ref('int_forecast__win_rates') }}

),

close_times as (

    select * from {{ ref('int_forecast__close_times') }}

),

won_cycles as (

    select * from {{ ref('int_forecast__won_cycles') }}

),

events_before as (

    select
        snapshots.forecast_date,
        events.deal_id,
        events.to_stage_code as stage_code,
        events.changed_at,
        events.is_entry_time_known,
        row_number() over (
            partition by snapshots.forecast_date, events.deal_id
            order by events.event_sequence desc
        ) as event_recency

    from snapshots

    inner join events
        on snapshots.forecast_cutoff > events.changed_at

),

open_on_day as (

    select
        events_before.forecast_date,
        events_before.deal_id,
        events_before.stage_code,
        events_before.changed_at as stage_entered_at,
        events_before.is_entry_time_known as is_stage_entry_known,
        case
            when events_before.is_entry_time_known
                then {{ dbt.datediff('cast(events_before.changed_at as date)', 'events_before.forecast_date', 'day') }}
        end as days_in_stage

    from events_before

    inner join stages
        on events_before.stage_code = stages.stage_code

    where events_before.event_recency = 1 and stages.stage_type = 'open'

),

bucketed as (

    select
        *,
        {{ forecast_age_bucket('days_in_stage') }} as age_bucket

    from open_on_day

),

timed as (

    select
        bucketed.*,
        close_times.median_days_entry_to_close - coalesce(bucketed.days_in_stage, 0) as days_left_in_typical_time,
        close_times.median_days_exit_to_close

    from bucketed

    left join close_times
        on
            bucketed.forecast_date = close_times.forecast_date
            and bucketed.stage_code = close_times.stage_code

),

expected as (

    select
        *,
        cast(round(
            case
                when days_left_in_typical_time >= median_days_exit_to_close and days_left_in_typical_time >= 1
                    then days_left_in_typical_time
                when median_days_exit_to_close >= 1 then median_days_exit_to_close
                when median_days_exit_to_close is not null then 1
            end, 0
        ) as {{ dbt.type_int() }}) as expected_days_to_close

    from timed

),

joined as (

    select
        expected.*,
        deals.owner_id,
        deals.amount_reporting,
        win_rates.probability_basis,
        win_rates.basis_closed_count,
        win_rates.bucket_closed_visits,
        win_rates.base_win_rate,
        win_rates.pooled_win_rate,
        win_rates.stage_win_rate,
        win_rates.win_probability as cell_win_probability,
        won_cycles.p90_won_cycle_days,
        {{ dbt.datediff('deals.created_date', 'expected.forecast_date', 'day') }} as deal_age_days

    from expected

    inner join deals
        on expected.deal_id = deals.deal_id

    left join win_rates
        on
            expected.forecast_date = win_rates.forecast_date
            and expected.stage_code = win_rates.stage_code
            and expected.age_bucket = win_rates.age_bucket

    left join won_cycles
        on expected.forecast_date = won_cycles.forecast_date

),

decayed as (

    select
        *,
        cast(round(
            {{ forecast_decay_factor('deal_age_days', 'p90_won_cycle_days') }}, 6
        ) as {{ dbt.type_numeric() }}) as decay_factor

    from joined

),

probabilities as (

    select
        *,
        cast(round(cell_win_probability * decay_factor, 6) as {{ dbt.type_numeric() }}) as win_probability

    from decayed

),

final as (

    select
        forecast_date,
        deal_id,
        stage_code,
        stage_entered_at,
        is_stage_entry_known,
        cast(days_in_stage as {{ dbt.type_int() }}) as days_in_stage,
        cast(age_bucket as {{ dbt.type_string() }}) as age_bucket,
        probability_basis,
        basis_closed_count,
        bucket_closed_visits,
        base_win_rate,
        pooled_win_rate,
        stage_win_rate,
        cell_win_probability,
        cast(deal_age_days as {{ dbt.type_int() }}) as deal_age_days,
        p90_won_cycle_days,
        decay_factor,
        win_probability,
        expected_days_to_close,
        cast({{ dbt.dateadd('day', 'expected_days_to_close', 'forecast_date') }} as date) as expected_close_date,
        cast({{ dbt.date_trunc(
            'month', dbt.dateadd('day', 'expected_days_to_close', 'forecast_date')
        ) }} as date) as expected_close_month,
        owner_id,
        amount_reporting,
        cast(round(amount_reporting * win_probability, 6) as {{ dbt.type_numeric() }}) as weighted_amount_reporting

    from probabilities

)

select * from final
