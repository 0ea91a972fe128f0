{#- Probability that a deal in an open stage, at an age in the stage, is won in the end: one row per forecast day
    F (int_forecast__snapshots), open stage and age bucket (macro forecast_age_buckets, plus 'unknown').
    Learned only from deals closed (won or lost) before F's cutoff, so a past F sees no later outcome.
      history       the visits of those deals that were in the stage at the end of at least one day
                    (visit_days >= 1; int_forecast__stage_visits). A visit is in bucket b when it was still in the
                    stage at the end of day min_days(b) after entry (visit_days > min_days): a visit of 40 days
                    counts in 0-14, 15-30 and 31-60 — the same question as for an open deal at that age.
      base_win_rate won / closed deals before F.
      stage_win_rate (won visits + k × base_win_rate) / (closed visits + k) of the stage.
      win_probability (won visits + k × stage_win_rate) / (closed visits + k) of the bucket: a bucket with few
                    visits leans on its stage, a stage with few visits on the base rate; k = forecast_prior_weight()
                    (5). The 'unknown' bucket has no visits, so it gets the stage's rate.
    A deal that came back to a stage counts once per visit. Rates are null only when nothing closed before F. -#}
{%- set k = forecast_prior_weight() -%}
with

snapshots as (

    select * from {{ ref('int_forecast__snapshots') }}

),

visits as (

    select * from {{ ref('int_forecast__stage_visits') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

age_buckets as (

    {{ forecast_age_bucket_rows() }}

),

closed_deals as (

    select
        snapshots.forecast_date,
        count(*) as closed_deals,
        sum(case when deals.is_won then 1 else 0 end) as won_deals

    from snapshots

    inner join deals
        on snapshots.forecast_cutoff > deals.closed_at

    group by 1

),

history as (

    select
        snapshots.forecast_date,
        visits.stage_code,
        visits.visit_days,
        case when visits.is_won then 1 else 0 end as won

    from snapshots

    inner join visits
        on snapshots.forecast_cutoff > visits.closed_at

    where visits.visit_days >= 1

),

stage_counts as (

    select
        forecast_date,
        stage_code,
        count(*) as closed_visits,
        sum(won) as won_visits

    from history

    group by 1, 2

),

bucket_counts as (

    select
        history.forecast_date,
        history.stage_code,
        age_buckets.age_bucket,
        count(*) as closed_visits,
        sum(history.won) as won_visits

    from history

    inner join age_buckets
        on history.visit_days > age_buckets.min_days

    group by 1, 2, 3

),

grid as (

    select
        snapshots.forecast_date,
        stages.stage_code,
        age_buckets.age_bucket,
        age_buckets.age_bucket_order,
        age_buckets.min_days,
        age_buckets.max_days

    from snapshots

    cross join stages

    cross join age_buckets

    where stages.stage_type = 'open'

),

counts as (

    select
        grid.*,
        coalesce(closed_deals.closed_deals, 0) as closed_deals,
        coalesce(closed_deals.won_deals, 0) as won_deals,
        coalesce(stage_counts.closed_visits, 0) as stage_closed_visits,
        coalesce(stage_counts.won_visits, 0) as stage_won_visits,
        coalesce(bucket_counts.closed_visits, 0) as bucket_closed_visits,
        coalesce(bucket_counts.won_visits, 0) as bucket_won_visits,
        {{ safe_divide('closed_deals.won_deals', 'closed_deals.closed_deals') }} as base_win_rate

    from grid

    left join closed_deals
        on grid.forecast_date = closed_deals.forecast_date

    left join stage_counts
        on
            grid.forecast_date = stage_counts.forecast_date
            and grid.stage_code = stage_counts.stage_code

    left join bucket_counts
        on
            grid.forecast_date = bucket_counts.forecast_date
            and grid.stage_code = bucket_counts.stage_code
            and grid.age_bucket = bucket_counts.age_bucket

),

stage_rates as (

    select
        *,
        -- base_win_rate is a fraction, so this is no integer division; null with k = 0 and no visits
        (stage_won_visits + {{ k }} * base_win_rate) / nullif(stage_closed_visits + {{ k }}, 0) as stage_win_rate

    from counts

),

bucket_rates as (

    select
        *,
        (bucket_won_visits + {{ k }} * stage_win_rate) / nullif(bucket_closed_visits + {{ k }}, 0)
            as win_probability

    from stage_rates

),

final as (

    select
        forecast_date,
        stage_code,
        cast(age_bucket as {{ dbt.type_string() }}) as age_bucket,
        cast(age_bucket_order as {{ dbt.type_int() }}) as age_bucket_order,
        cast(min_days as {{ dbt.type_int() }}) as min_days,
        cast(max_days as {{ dbt.type_int() }}) as max_days,
        cast(closed_deals as {{ dbt.type_int() }}) as closed_deals,
        cast(won_deals as {{ dbt.type_int() }}) as won_deals,
        cast(stage_closed_visits as {{ dbt.type_int() }}) as stage_closed_visits,
        cast(stage_won_visits as {{ dbt.type_int() }}) as stage_won_visits,
        cast(bucket_closed_visits as {{ dbt.type_int() }}) as bucket_closed_visits,
        cast(bucket_won_visits as {{ dbt.type_int() }}) as bucket_won_visits,
        cast(round(base_win_rate, 6) as {{ dbt.type_numeric() }}) as base_win_rate,
        cast(round(stage_win_rate, 6) as {{ dbt.type_numeric() }}) as stage_win_rate,
        cast(round(win_probability, 6) as {{ dbt.type_numeric() }}) as win_probability

    from bucket_rates

)

select * from final
