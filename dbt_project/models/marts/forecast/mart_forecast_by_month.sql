{#- mart_forecast rolled up to expected close month and owner: open deals, their amount, how many of them and how
    much of it is expected to be won (sums of win_probability and of the weighted amounts). A deal counts in the
    month it is expected to close in, with its whole probability. expected_close_month is null for the deals of a
    stage no won deal has visited yet (no time to close learned). -#}
with

forecast as (

    select * from {{ ref('mart_forecast') }}

),

rolled_up as (

    select
        expected_close_month,
        coalesce(owner_id, 'unknown') as owner_id,
        min(coalesce(owner_name, 'unknown')) as owner_name,
        min(coalesce(team_name, 'unknown')) as team_name,
        count(*) as open_deals,
        sum(amount_reporting) as pipeline_amount_reporting,
        sum(win_probability) as expected_won_deals,
        sum(weighted_amount_reporting) as weighted_amount_reporting

    from forecast

    group by 1, 2

),

final as (

    select
        expected_close_month,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(owner_name as {{ dbt.type_string() }}) as owner_name,
        cast(team_name as {{ dbt.type_string() }}) as team_name,
        cast(open_deals as {{ dbt.type_int() }}) as open_deals,
        cast(pipeline_amount_reporting as {{ dbt.type_numeric() }}) as pipeline_amount_reporting,
        cast(expected_won_deals as {{ dbt.type_numeric() }}) as expected_won_deals,
        cast(weighted_amount_reporting as {{ dbt.type_numeric() }}) as weighted_amount_reporting,
        {{ reporting_currency() }} as reporting_currency,
        {{ as_of_date() }} as as_of_date

    from rolled_up

)

select * from final
