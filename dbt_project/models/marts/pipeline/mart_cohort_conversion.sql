{#- Leads and deals by creation month (cohort), and how far the cohort's deals got within 30, 60 and 90 days of
    their creation. One row per cohort month (every month from the first lead or deal to the as-of month) and stage.
      reached_within_<n>d  deals of the cohort that reached the stage at most n whole days after the day they were
                           created. Reached as in mart_funnel_conversion: entered that stage or a later open or won
                           stage (a skipped stage counts as passed); lost stages: entered them. The day a stage is
                           reached is the first day the deal entered it or a later one.
      reached_to_date      the same without a time limit, up to the as-of day (mart_funnel_conversion's reached for
                           segment cohort_month).
      leads_with_deal_within_<n>d  leads whose person (fct_leads.person_id = fct_deals.person_id) has a deal created
                           on the day of the lead or at most n days after it (a deal created before the lead does not
                           count; a person's repeated leads each count).
    The cohort columns (leads, deals, ...) repeat on each stage row of the cohort: do not add them up over stages.
    min_days_observed = days from the cohort's last day (or the as-of day, if earlier) to the as-of day: the least
    time any member has had. The <n>-day columns of a cohort are final once min_days_observed >= n; a cohort is open
    (is_open_cohort) while min_days_observed < 90. -#}
{%- set windows = [30, 60, 90] -%}
with

deals as (

    select * from {{ ref('fct_deals') }}

    -- a deal with no date at all has no cohort (fct_deals.is_undated; counted by warn_deals_without_dates)
    where is_undated is not true

),

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

first_month as (

    select min(cohort_month) as month_start

    from (
        select cohort_month from deals
        union all
        select cohort_month from leads
    ) as cohort_months

),

months as (

    {{ months_until_as_of('calendar', 'first_month') }}

),

cohorts as (

    select
        month_start as cohort_month,
        month_end as cohort_end_date

    from months

),

-- the first day each deal reached each stage: entered it or a later open or won stage (lost stages: entered it)
stage_reaches as (

    select
        events.deal_id,
        stages.stage_code,
        min(events.changed_date) as reached_date

    from events

    inner join stages as entered_stages
        on events.to_stage_code = entered_stages.stage_code

    inner join stages
        on
            (
                stages.stage_type <> 'lost'
                and entered_stages.stage_type <> 'lost'
                and entered_stages.stage_order >= stages.stage_order
            )
            or (stages.stage_type = 'lost' and entered_stages.stage_code = stages.stage_code)

    group by 1, 2

),

deal_reaches as (

    select
        deals.cohort_month,
        stage_reaches.stage_code,
        {{ dbt.datediff('deals.created_date', 'stage_reaches.reached_date', 'day') }} as days_to_reach

    from stage_reaches

    inner join deals
        on stage_reaches.deal_id = deals.deal_id

),

stage_counts as (

    select
        cohort_month,
        stage_code,
        {%- for days in windows %}
        sum(case when days_to_reach <= {{ days }} then 1 else 0 end) as reached_within_{{ days }}d,
        {%- endfor %}
        count(*) as reached_to_date

    from deal_reaches

    group by 1, 2

),

deal_counts as (

    select
        cohort_month,
        count(*) as deals

    from deals

    group by 1

),

-- days from each lead to the first deal of its person created on the lead's day or later
lead_deals as (

    select
        leads.lead_id,
        leads.cohort_month,
        leads.is_first_touch,
        min({{ dbt.datediff('leads.created_date', 'deals.created_date', 'day') }}) as days_to_deal

    from leads

    left join deals
        on
            leads.person_id = deals.person_id
            and leads.created_date <= deals.created_date

    group by 1, 2, 3

),

lead_counts as (

    select
        cohort_month,
        count(*) as leads,
        {%- for days in windows %}
        sum(case when days_to_deal <= {{ days }} then 1 else 0 end) as leads_with_deal_within_{{ days }}d,
        {%- endfor %}
        sum(case when is_first_touch then 1 else 0 end) as first_touch_leads

    from lead_deals

    group by 1

),

grid as (

    select
        cohorts.cohort_month,
        cohorts.cohort_end_date,
        {{ dbt.datediff(
            'case when cohorts.cohort_end_date < ' ~ as_of_date() ~ ' then cohorts.cohort_end_date else '
            ~ as_of_date() ~ ' end',
            as_of_date(),
            'day'
        ) }} as min_days_observed,
        stages.stage_code,
        stages.stage_order,
        stages.name_zh as stage_name_zh,
        stages.name_en as stage_name_en,
        stages.stage_type

    from cohorts

    cross join stages

),

counts as (

    select
        grid.*,
        coalesce(lead_counts.leads, 0) as leads,
        coalesce(lead_counts.first_touch_leads, 0) as first_touch_leads,
        {%- for days in windows %}
        coalesce(lead_counts.leads_with_deal_within_{{ days }}d, 0) as leads_with_deal_within_{{ days }}d,
        {%- endfor %}
        coalesce(deal_counts.deals, 0) as deals,
        {%- for days in windows %}
        coalesce(stage_counts.reached_within_{{ days }}d, 0) as reached_within_{{ days }}d,
        {%- endfor %}
        coalesce(stage_counts.reached_to_date, 0) as reached_to_date

    from grid

    left join lead_counts
        on grid.cohort_month = lead_counts.cohort_month

    left join deal_counts
        on grid.cohort_month = deal_counts.cohort_month

    left join stage_counts
        on
            grid.cohort_month = stage_counts.cohort_month
            and grid.stage_code = stage_counts.stage_code

),

final as (

    select
        cohort_month,
        substring(cast(cohort_month as {{ dbt.type_string() }}), 1, 7) as cohort_label,
        cohort_end_date,
        cast(stage_code as {{ dbt.type_string() }}) as stage_code,
        cast(stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(stage_name_zh as {{ dbt.type_string() }}) as stage_name_zh,
        cast(stage_name_en as {{ dbt.type_string() }}) as stage_name_en,
        cast(stage_type as {{ dbt.type_string() }}) as stage_type,
        cast(leads as {{ dbt.type_int() }}) as leads,
        cast(first_touch_leads as {{ dbt.type_int() }}) as first_touch_leads,
        {%- for days in windows %}
        cast(leads_with_deal_within_{{ days }}d as {{ dbt.type_int() }}) as leads_with_deal_within_{{ days }}d,
        cast(round({{ safe_divide('leads_with_deal_within_' ~ days ~ 'd', 'leads') }}, 4) as {{ dbt.type_numeric() }})
            as lead_to_deal_rate_within_{{ days }}d,
        {%- endfor %}
        cast(deals as {{ dbt.type_int() }}) as deals,
        {%- for days in windows %}
        cast(reached_within_{{ days }}d as {{ dbt.type_int() }}) as reached_within_{{ days }}d,
        cast(round({{ safe_divide('reached_within_' ~ days ~ 'd', 'deals') }}, 4) as {{ dbt.type_numeric() }})
            as reached_rate_within_{{ days }}d,
        {%- endfor %}
        cast(reached_to_date as {{ dbt.type_int() }}) as reached_to_date,
        cast(round({{ safe_divide('reached_to_date', 'deals') }}, 4) as {{ dbt.type_numeric() }})
            as reached_rate_to_date,
        cast(min_days_observed as {{ dbt.type_int() }}) as min_days_observed,
        min_days_observed < {{ windows | max }} as is_open_cohort,
        {{ as_of_date() }} as as_of_date

    from counts

)

select * from final
