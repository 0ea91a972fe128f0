{#- What each marketing channel brings, per calendar month, against what it costs (int_marketing_spend_monthly).
    One row per channel (dim_channel) and month, from the first month with a lead, deal or spend to the month of the
    as-of day; a month without anything has zeros. Each count falls in the month it happened:
      leads            leads created that month (fct_leads: form submissions and HubSpot contacts), lead channel
      qualified_leads  of those, leads whose person is the contact of a deal in fct_deals (fct_leads.person_has_deal:
                       sales took the person into the funnel), whenever the deal was created
      won_leads        of those, leads whose person won a deal on the lead's day or later (fct_leads.won_date),
                       whenever; lead_to_won_rate = won_leads / leads
      deals_created    deals created that month (cohort_month), deal channel; not deals without any date
      deals_won        deals won that month (closing day), deal channel; won_amount_reporting their amount
      spend_reporting  the sheet's spend in the reporting currency; null when the sheet has no row for the channel
                       and month
      cost_per_*       spend_reporting / count; null when there is no spend row or the count is 0
      roi              (won_amount_reporting − spend_reporting) / spend_reporting, won amount of the month against
                       spend of the month (no lag, no attribution model); null without spend or with spend 0.
    Every amount is in the reporting currency (var reporting_currency; column reporting_currency). -#}
with

leads as (

    select * from {{ ref('fct_leads') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

spend as (

    select * from {{ ref('int_marketing_spend_monthly') }}

),

channels as (

    select * from {{ ref('dim_channel') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

lead_counts as (

    select
        cohort_month as month_start,
        channel_code,
        count(*) as leads,
        sum(case when person_has_deal then 1 else 0 end) as qualified_leads,
        sum(case when won_date is not null then 1 else 0 end) as won_leads

    from leads

    group by 1, 2

),

created_counts as (

    select
        cohort_month as month_start,
        channel_code,
        count(*) as deals_created

    from deals

    where is_undated is not true  -- no creation day: not counted in any month

    group by 1, 2

),

won_counts as (

    select
        cast({{ dbt.date_trunc('month', 'closed_date') }} as date) as month_start,
        channel_code,
        count(*) as deals_won,
        sum(amount_reporting) as won_amount_reporting

    from deals

    where is_won and closed_date is not null

    group by 1, 2

),

activity_months as (

    select month_start from lead_counts
    union all
    select month_start from created_counts
    union all
    select month_start from won_counts
    union all
    select spend_month as month_start from spend

),

months as (

    select distinct calendar.month_start

    from calendar

    where
        calendar.date_day <= {{ as_of_date() }}
        and calendar.month_start >= (select min(activity_months.month_start) from activity_months)

),

grid as (

    select
        months.month_start,
        channels.channel_code,
        channels.channel_order,
        channels.name_zh as channel_name_zh,
        channels.name_en as channel_name_en

    from months

    cross join channels

),

joined as (

    select
        grid.*,
        coalesce(lead_counts.leads, 0) as leads,
        coalesce(lead_counts.qualified_leads, 0) as qualified_leads,
        coalesce(lead_counts.won_leads, 0) as won_leads,
        coalesce(created_counts.deals_created, 0) as deals_created,
        coalesce(won_counts.deals_won, 0) as deals_won,
        coalesce(won_counts.won_amount_reporting, 0) as won_amount_reporting,
        spend.spend_reporting

    from grid

    left join lead_counts
        on
            grid.month_start = lead_counts.month_start
            and grid.channel_code = lead_counts.channel_code

    left join created_counts
        on
            grid.month_start = created_counts.month_start
            and grid.channel_code = created_counts.channel_code

    left join won_counts
        on
            grid.month_start = won_counts.month_start
            and grid.channel_code = won_counts.channel_code

    left join spend
        on
            grid.month_start = spend.spend_month
            and grid.channel_code = spend.channel_code

),

final as (

    select
        month_start,
        cast(channel_code as {{ dbt.type_string() }}) as channel_code,
        cast(channel_order as {{ dbt.type_int() }}) as channel_order,
        cast(channel_name_zh as {{ dbt.type_string() }}) as channel_name_zh,
        cast(channel_name_en as {{ dbt.type_string() }}) as channel_name_en,
        cast(leads as {{ dbt.type_int() }}) as leads,
        cast(qualified_leads as {{ dbt.type_int() }}) as qualified_leads,
        cast(round({{ safe_divide('qualified_leads', 'leads') }}, 4) as {{ dbt.type_numeric() }})
            as qualification_rate,
        cast(won_leads as {{ dbt.type_int() }}) as won_leads,
        cast(round({{ safe_divide('won_leads', 'leads') }}, 4) as {{ dbt.type_numeric() }}) as lead_to_won_rate,
        cast(deals_created as {{ dbt.type_int() }}) as deals_created,
        cast(deals_won as {{ dbt.type_int() }}) as deals_won,
        cast(won_amount_reporting as {{ dbt.type_numeric() }}) as won_amount_reporting,
        cast(spend_reporting as {{ dbt.type_numeric() }}) as spend_reporting,
        cast(round({{ safe_divide('spend_reporting', 'leads') }}, 2) as {{ dbt.type_numeric() }})
            as cost_per_lead_reporting,
        cast(round({{ safe_divide('spend_reporting', 'qualified_leads') }}, 2) as {{ dbt.type_numeric() }})
            as cost_per_qualified_lead_reporting,
        cast(round({{ safe_divide('spend_reporting', 'deals_won') }}, 2) as {{ dbt.type_numeric() }})
            as cost_per_won_deal_reporting,
        cast(
            round({{ safe_divide('won_amount_reporting - spend_reporting', 'spend_reporting') }}, 4)
            as {{ dbt.type_numeric() }}
        ) as roi,
        {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} <= {{ as_of_date() }}
            as is_complete_month,
        {{ reporting_currency() }} as reporting_currency,
        {{ as_of_date() }} as as_of_date

    from joined

)

select * from final
