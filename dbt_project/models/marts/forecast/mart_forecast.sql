{#- The win forecast of every open deal on the as-of day: how likely it is to be won (win_probability, from the
    stage and the age in it, learned from the deals closed so far, falling back to the stage or the pooled rate
    when the cell has too few closed visits, and decayed when the deal is older than won deals' p90 cycle) and when
    (expected_close_date / month, from how long won deals took from the stage), and its amount weighted by the
    probability. The model lives in models/marts/forecast/internal (definitions in the model headers);
    mart_forecast_backtest judges it on past month-ends. -#}
with

predictions as (

    select * from {{ ref('int_forecast__deal_predictions') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

owners as (

    select * from {{ ref('dim_owner') }}

),

on_as_of_day as (

    select * from predictions

    where forecast_date = {{ as_of_date() }}

),

final as (

    select
        on_as_of_day.deal_id,
        deals.source,
        deals.deal_name,
        on_as_of_day.owner_id,
        owners.owner_name,
        owners.team_name,
        on_as_of_day.stage_code,
        stages.stage_order,
        stages.name_zh as stage_name_zh,
        stages.name_en as stage_name_en,
        on_as_of_day.stage_entered_at,
        on_as_of_day.is_stage_entry_known,
        on_as_of_day.days_in_stage,
        on_as_of_day.age_bucket,
        on_as_of_day.probability_basis,
        on_as_of_day.basis_closed_count as evidence_closed_count,
        cast(round(on_as_of_day.base_win_rate, 4) as {{ dbt.type_numeric() }}) as base_win_rate,
        cast(round(on_as_of_day.pooled_win_rate, 4) as {{ dbt.type_numeric() }}) as pooled_win_rate,
        cast(round(on_as_of_day.stage_win_rate, 4) as {{ dbt.type_numeric() }}) as stage_win_rate,
        cast(round(on_as_of_day.cell_win_probability, 4) as {{ dbt.type_numeric() }}) as cell_win_probability,
        on_as_of_day.deal_age_days,
        on_as_of_day.p90_won_cycle_days,
        cast(round(on_as_of_day.decay_factor, 4) as {{ dbt.type_numeric() }}) as decay_factor,
        cast(round(on_as_of_day.win_probability, 4) as {{ dbt.type_numeric() }}) as win_probability,
        on_as_of_day.expected_days_to_close,
        on_as_of_day.expected_close_date,
        on_as_of_day.expected_close_month,
        on_as_of_day.amount_reporting,
        cast(round(on_as_of_day.weighted_amount_reporting, 2) as {{ dbt.type_numeric() }}) as weighted_amount_reporting,
        {{ reporting_currency() }} as reporting_currency,
        {{ as_of_date() }} as as_of_date

    from on_as_of_day

    inner join deals
        on on_as_of_day.deal_id = deals.deal_id

    inner join stages
        on on_as_of_day.stage_code = stages.stage_code

    left join owners
        on on_as_of_day.owner_id = owners.owner_id

)

select * from final
