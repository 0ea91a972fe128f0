{#- Probability that a deal in an open stage, at an age in the stage, is won in the end: one row per forecast day
    F (int_forecast__snapshots), open stage and age bucket (macro forecast_age_buckets, plus 'unknown').
    Learned only from deals closed (won or lost) before F's cutoff, so a past F sees no later outcome.
      history       the visits of those deals that were in the stage at the end of at least one day
                    (visit_days >= 1; int_forecast__stage_visits). A visit is in bucket b when it was still in the
                    stage at the end of day min_days(b) after entry (visit_days > min_days): a visit of 40 days
                    counts in 0-14, 15-30 and 31-60 — the same question as for an open deal at that age.
      base_win_rate won / closed deals before F (raw; the backtest's yardstick); null when none.
      pooled_win_rate (won deals + a) / (closed deals + a + b): the base rate under a Beta(a, b) prior
                    (forecast_pooled_prior(), Beta(1, 1)), never exactly 0 or 1.
      stage_win_rate (won visits + k × pooled_win_rate) / (closed visits + k) of the stage.
      stage_age_win_rate (won visits + k × stage_win_rate) / (closed visits + k) of the bucket; k =
                    forecast_prior_weight() (5), so each level is shrunk toward the next coarser one and none
                    reaches 0 or 1 on one-sided evidence (3 won of 3 included).
      win_probability the finest level with at least m closed visits (forecast_min_cell_visits(), 5; a level with
                    none never counts): stage_age_win_rate, else stage_win_rate, else pooled_win_rate; which one
                    in probability_basis ('stage_age' | 'stage' | 'pooled'), its evidence in basis_closed_count
                    (closed visits of the bucket or stage; closed deals for pooled). The 'unknown' bucket has no
                    visits, so it always falls back.
    A deal that came back to a stage counts once per visit. When nothing closed before F (a new CRM, an export of
    open deals only) every rate is the prior's mean a / (a + b) (0.5), basis 'pooled' with 0 closed deals; only
    base_win_rate is null then. -#}
{%- set k = forecast_prior_weight() -%}
{%- set prior = forecast_pooled_prior() -%}
{%- set prior_total = prior.won + prior.lost -%}
{%- set m = forecast_min_cell_visits() -%}
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

pooled_rates as (

    select
        *,
        -- nothing closed yet: the prior's mean a / (a + b) (0.5 under Beta(1, 1))
        cast(won_deals + {{ prior.won }} as {{ dbt.type_numeric() }}) / (closed_deals + {{ prior_total }})
            as pooled_win_rate

    from counts

),

stage_rates as (

    select
        *,
        -- pooled_win_rate is a fraction, so this is no integer division
        (stage_won_visits + {{ k }} * pooled_win_rate) / (stage_closed_visits + {{ k }}) as stage_win_rate

    from pooled_rates

),

bucket_rates as (

    select
        *,
        (bucket_won_visits + {{ k }} * stage_win_rate) / (bucket_closed_visits + {{ k }}) as stage_age_win_rate,
        case
            when bucket_closed_visits >= {{ m }} then 'stage_age'
            when stage_closed_visits >= {{ m }} then 'stage'
            else 'pooled'
        end as probability_basis

    from stage_rates

),

chosen as (

    select
        *,
        case probability_basis
            when 'stage_age' then bucket_closed_visits
            when 'stage' then stage_closed_visits
            else closed_deals
        end as basis_closed_count,
        case probability_basis
            when 'stage_age' then stage_age_win_rate
            when 'stage' then stage_win_rate
            else pooled_win_rate
        end as win_probability

    from bucket_rates

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
        cast(round(pooled_win_rate, 6) as {{ dbt.type_numeric() }}) as pooled_win_rate,
        cast(round(stage_win_rate, 6) as {{ dbt.type_numeric() }}) as stage_win_rate,
        cast(round(stage_age_win_rate, 6) as {{ dbt.type_numeric() }}) as stage_age_win_rate,
        cast(probability_basis as {{ dbt.type_string() }}) as probability_basis,
        cast(basis_closed_count as {{ dbt.type_int() }}) as basis_closed_count,
        cast(round(win_probability, 6) as {{ dbt.type_numeric() }}) as win_probability

    from chosen

)

select * from final
