{#- How each sales rep and team performs, over every deal in fct_deals as of the as-of day (no time window).
    One row per owner (performance_level owner; every dim_owner owner, also without deals, and 'unknown' for deals
    without an owner), per team (level team: the owners' deals added up, not an average of owners), per manager
    (level manager, from an owner lookup sheet: the deals of the owners with that manager; owners without a manager
    are left out of the level rather than pooled under a made-up manager, which would rank against real ones and,
    with no lookup sheet, repeat overall), per office (level office, likewise, and only when some owner's office
    differs from the team: where the office is the team, as in Maven's export, the level would repeat team) and one
    overall.
      win_rate          won / (won + lost)
      avg_won_amount    average amount_reporting of the won deals that have an amount
      median_won_cycle  median cycle_days (whole calendar days) of the won deals with a known creation time
                        (trackers have none)
      sales_velocity    open deals × win rate × average won amount ÷ median won cycle days = the amount
                        (reporting currency) the open pipeline is expected to close per day. The median, not the
                        average, cycle: a few very long deals do not drag the velocity down. Null when a part is
                        unknown or the median is 0.
      stale_deals       open deals listed in mart_stale_deals
    Ranks (1 = best, ties share a rank) are among the rows of the same level; null when the measure is null. -#}
with

deals as (

    select * from {{ ref('fct_deals') }}

),

owners as (

    select * from {{ ref('dim_owner') }}

),

stale_deals as (

    select * from {{ ref('mart_stale_deals') }}

),

owner_groups as (

    select
        owner_id,
        team_name,
        manager_name,
        case
            when max(case when office <> team_name then 1 else 0 end) over () = 1 then office
        end as office_name

    from owners

),

deal_facts as (

    select
        deals.deal_id,
        coalesce(deals.owner_id, 'unknown') as owner_id,
        coalesce(owner_groups.team_name, 'unknown') as team_name,
        owner_groups.manager_name,
        owner_groups.office_name,
        deals.is_open,
        deals.is_won,
        deals.is_lost,
        deals.amount_reporting,
        deals.cycle_days,
        stale_deals.deal_id is not null as is_stale

    from deals

    left join owner_groups
        on deals.owner_id = owner_groups.owner_id

    left join stale_deals
        on deals.deal_id = stale_deals.deal_id

),

scoped_deals as (

    select
        'owner' as performance_level,
        deal_facts.owner_id as performance_key,
        deal_facts.*

    from deal_facts

    union all

    select
        'team' as performance_level,
        deal_facts.team_name as performance_key,
        deal_facts.*

    from deal_facts

    union all

    select
        'manager' as performance_level,
        deal_facts.manager_name as performance_key,
        deal_facts.*

    from deal_facts

    where deal_facts.manager_name is not null

    union all

    select
        'office' as performance_level,
        deal_facts.office_name as performance_key,
        deal_facts.*

    from deal_facts

    where deal_facts.office_name is not null

    union all

    select
        'overall' as performance_level,
        'all' as performance_key,
        deal_facts.*

    from deal_facts

),

-- every owner and team, also without deals; dim_owner's member 'unknown' only through the deals that point at it
scopes as (

    select
        'owner' as performance_level,
        owner_id as performance_key

    from owners

    where owner_id <> 'unknown'

    union

    select
        'team' as performance_level,
        team_name as performance_key

    from owners

    where owner_id <> 'unknown'

    union

    select
        'manager' as performance_level,
        manager_name as performance_key

    from owner_groups

    where manager_name is not null

    union

    select
        'office' as performance_level,
        office_name as performance_key

    from owner_groups

    where office_name is not null

    union

    select
        performance_level,
        performance_key

    from scoped_deals

),

stats as (

    select
        performance_level,
        performance_key,
        count(*) as deals_total,
        sum(case when is_open then 1 else 0 end) as open_deals,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when is_lost then 1 else 0 end) as lost_deals,
        sum(case when is_won then amount_reporting end) as won_amount_reporting,
        avg(case when is_won then amount_reporting end) as avg_won_amount_reporting,
        count(case when is_won then cycle_days end) as won_deals_with_cycle,
        {{ percentile('case when is_won then cycle_days end', 0.5) }} as median_won_cycle_days,
        avg(case when is_won then cycle_days end) as avg_won_cycle_days,
        sum(case when is_open then amount_reporting end) as open_pipeline_reporting,
        sum(case when is_stale then 1 else 0 end) as stale_deals,
        sum(case when is_stale then amount_reporting end) as stale_amount_reporting

    from scoped_deals

    group by 1, 2

),

measured as (

    select
        scopes.performance_level,
        scopes.performance_key,
        coalesce(stats.deals_total, 0) as deals_total,
        coalesce(stats.open_deals, 0) as open_deals,
        coalesce(stats.won_deals, 0) as won_deals,
        coalesce(stats.lost_deals, 0) as lost_deals,
        coalesce(stats.won_deals, 0) + coalesce(stats.lost_deals, 0) as closed_deals,
        {{ safe_divide('stats.won_deals', 'stats.won_deals + stats.lost_deals') }} as win_rate,
        coalesce(stats.won_amount_reporting, 0) as won_amount_reporting,
        stats.avg_won_amount_reporting,
        coalesce(stats.won_deals_with_cycle, 0) as won_deals_with_cycle,
        stats.median_won_cycle_days,
        stats.avg_won_cycle_days,
        coalesce(stats.open_pipeline_reporting, 0) as open_pipeline_reporting,
        coalesce(stats.stale_deals, 0) as stale_deals,
        coalesce(stats.stale_amount_reporting, 0) as stale_amount_reporting

    from scopes

    left join stats
        on
            scopes.performance_level = stats.performance_level
            and scopes.performance_key = stats.performance_key

),

velocities as (

    select
        *,
        {{ safe_divide('open_deals * win_rate * avg_won_amount_reporting', 'median_won_cycle_days') }}
            as sales_velocity_reporting_per_day

    from measured

),

ranked as (

    select
        *,
        rank() over (
            partition by performance_level, sales_velocity_reporting_per_day is null
            order by sales_velocity_reporting_per_day desc
        ) as velocity_position,
        rank() over (
            partition by performance_level, win_rate is null
            order by win_rate desc
        ) as win_rate_position

    from velocities

),

final as (

    select
        cast(ranked.performance_level as {{ dbt.type_string() }}) as performance_level,
        cast(ranked.performance_key as {{ dbt.type_string() }}) as performance_key,
        cast(
            case when ranked.performance_level = 'owner' then ranked.performance_key end as {{ dbt.type_string() }}
        ) as owner_id,
        cast(
            case when ranked.performance_level = 'owner' then coalesce(owners.owner_name, 'unknown') end
            as {{ dbt.type_string() }}
        ) as owner_name,
        cast(
            case
                when ranked.performance_level = 'owner' then coalesce(owners.team_name, 'unknown')
                when ranked.performance_level = 'team' then ranked.performance_key
            end as {{ dbt.type_string() }}
        ) as team_name,
        cast(ranked.deals_total as {{ dbt.type_int() }}) as deals_total,
        cast(ranked.open_deals as {{ dbt.type_int() }}) as open_deals,
        cast(ranked.won_deals as {{ dbt.type_int() }}) as won_deals,
        cast(ranked.lost_deals as {{ dbt.type_int() }}) as lost_deals,
        cast(ranked.closed_deals as {{ dbt.type_int() }}) as closed_deals,
        cast(round(ranked.win_rate, 4) as {{ dbt.type_numeric() }}) as win_rate,
        cast(ranked.won_amount_reporting as {{ dbt.type_numeric() }}) as won_amount_reporting,
        cast(round(ranked.avg_won_amount_reporting, 2) as {{ dbt.type_numeric() }}) as avg_won_amount_reporting,
        cast(ranked.won_deals_with_cycle as {{ dbt.type_int() }}) as won_deals_with_cycle,
        cast(round(ranked.median_won_cycle_days, 2) as {{ dbt.type_numeric() }}) as median_won_cycle_days,
        cast(round(ranked.avg_won_cycle_days, 2) as {{ dbt.type_numeric() }}) as avg_won_cycle_days,
        cast(ranked.open_pipeline_reporting as {{ dbt.type_numeric() }}) as open_pipeline_reporting,
        cast(ranked.stale_deals as {{ dbt.type_int() }}) as stale_deals,
        cast(ranked.stale_amount_reporting as {{ dbt.type_numeric() }}) as stale_amount_reporting,
        cast(round(ranked.sales_velocity_reporting_per_day, 2) as {{ dbt.type_numeric() }})
            as sales_velocity_reporting_per_day,
        cast(
            case
                when ranked.performance_level <> 'overall' and ranked.sales_velocity_reporting_per_day is not null
                    then ranked.velocity_position
            end as {{ dbt.type_int() }}
        ) as velocity_rank,
        cast(
            case
                when ranked.performance_level <> 'overall' and ranked.win_rate is not null
                    then ranked.win_rate_position
            end as {{ dbt.type_int() }}
        ) as win_rate_rank,
        {{ reporting_currency() }} as reporting_currency,
        {{ as_of_date() }} as as_of_date

    from ranked

    left join owners
        on
            ranked.performance_level = 'owner'
            and ranked.performance_key = owners.owner_id

)

select * from final
