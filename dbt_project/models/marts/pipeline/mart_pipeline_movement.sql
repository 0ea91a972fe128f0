{#- The pipeline waterfall of a period: the open deals at its start, what came in, moved and went out, and the open
    deals at its end, in deals and in amount (reporting currency). One row per calendar month from the first deal's
    month to the as-of month (which ends at the as-of day), and one more for the period vars movement_from /
    movement_to when both are set (YYYY-MM-DD, inclusive; the end is cut at the as-of day).
      opening     deals open at the end of the day before the period starts
      new         deals whose first stage change (creation) in the period put them in an open stage
      advanced    moves forward between open stages in the period (a deal moving twice counts twice)
      moved_back  moves back between open stages
      reopened    moves out of won or lost back into an open stage
      won, lost   moves out of an open stage into won / lost
      closing     deals open at the end of the period's last day
    Open at the end of a day = the deal's last stage change on or before that day entered an open stage (the same
    as fct_pipeline_daily_snapshot). A deal is counted once per move, so the columns add up exactly:
        opening + new + reopened − won − lost = closing            (balance_check_deals = 0)
    and, with amounts, + amount_changed (0: amounts have no history yet, every deal counts at its current
    amount_reporting; a deal without an amount counts 0). A deal created straight into won or lost was never open and
    is in no column. advanced and moved_back do not change the balance. -#}
{%- set custom_dates = [] -%}
{%- for name in ['movement_from', 'movement_to'] -%}
{%- set value = var(name, none) -%}
{%- if value is none or value == '' -%}
{%- do custom_dates.append(none) -%}
{%- elif value is string -%}
{%- do custom_dates.append(modules.datetime.date.fromisoformat(value.strip())) -%}
{%- elif value.year is defined -%}
{%- do custom_dates.append(modules.datetime.date(value.year, value.month, value.day)) -%}
{%- else -%}
{{ exceptions.raise_compiler_error("var " ~ name ~ " must be a date YYYY-MM-DD, got " ~ value) }}
{%- endif -%}
{%- endfor -%}
{%- set movement_from, movement_to = custom_dates -%}
{%- set has_custom_period = movement_from is not none and movement_to is not none -%}
{%- if (movement_from is none) != (movement_to is none) -%}
{{ exceptions.raise_compiler_error("set both movement_from and movement_to, or neither") }}
{%- elif has_custom_period and movement_from > movement_to -%}
{{ exceptions.raise_compiler_error("movement_from is after movement_to") }}
{%- elif has_custom_period and movement_from > as_of_day() -%}
{{ exceptions.raise_compiler_error("movement_from is after the as-of day " ~ as_of_day()) }}
{%- endif -%}
{#- without a custom period the same SQL runs on the as-of day and keeps no row of it -#}
{%- set custom_from = movement_from if has_custom_period else as_of_day() -%}
{%- set custom_to = [movement_to, as_of_day()] | min if has_custom_period else as_of_day() -%}
{%- set movements = ['new', 'advanced', 'moved_back', 'reopened', 'won', 'lost'] -%}
with

deals as (

    select * from {{ ref('fct_deals') }}

),

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

first_month as (

    select cast({{ dbt.date_trunc('month', 'min(changed_date)') }} as date) as month_start

    from events

),

months as (

    {{ months_until_as_of('calendar', 'first_month') }}

),

periods as (

    select
        'month' as period_type,
        month_start as period_start,
        case when month_end > {{ as_of_date() }} then {{ as_of_date() }} else month_end end as period_end,
        month_label as period_label,
        month_end > {{ as_of_date() }} as is_partial_period

    from months

    union all

    select
        'custom' as period_type,
        cast('{{ custom_from.isoformat() }}' as date) as period_start,
        cast('{{ custom_to.isoformat() }}' as date) as period_end,
        '{{ custom_from.isoformat() }}..{{ custom_to.isoformat() }}' as period_label,
        {{ 'true' if has_custom_period and movement_to > as_of_day() else 'false' }} as is_partial_period

    where {{ 'true' if has_custom_period else 'false' }}

),

period_bounds as (

    select
        *,
        {{ dbt.dateadd('day', -1, 'period_start') }} as opening_day

    from periods

),

-- each stage a deal entered, from the day it entered it up to (not including) the day of its next stage change
stays as (

    select
        deal_id,
        to_stage_code as stage_code,
        changed_date as entered_date,
        lead(changed_date) over (
            partition by deal_id
            order by event_sequence
        ) as left_date

    from events

),

open_stays as (

    select
        stays.deal_id,
        stays.entered_date,
        stays.left_date,
        coalesce(deals.amount_reporting, 0) as amount_reporting

    from stays

    inner join stages
        on stays.stage_code = stages.stage_code

    inner join deals
        on stays.deal_id = deals.deal_id

    where
        stages.stage_type = 'open'
        and (stays.left_date is null or stays.left_date > stays.entered_date)

),

{#- deals open at the end of a period's opening day (the day before it starts) and at the end of its last day -#}
{%- for cte, day_column in [('openings', 'opening_day'), ('closings', 'period_end')] %}
{{ cte }} as (

    select
        period_bounds.period_type,
        period_bounds.period_start,
        count(*) as deals,
        sum(open_stays.amount_reporting) as amount_reporting

    from period_bounds

    inner join open_stays
        on
            period_bounds.{{ day_column }} >= open_stays.entered_date
            and (open_stays.left_date is null or period_bounds.{{ day_column }} < open_stays.left_date)

    group by 1, 2

),

{% endfor %}
moves as (

    select
        events.deal_id,
        events.changed_date,
        coalesce(deals.amount_reporting, 0) as amount_reporting,
        case
            when events.from_stage_code is null and to_stages.stage_type = 'open' then 'new'
            when from_stages.stage_type = 'open' and to_stages.stage_type = 'won' then 'won'
            when from_stages.stage_type = 'open' and to_stages.stage_type = 'lost' then 'lost'
            when from_stages.stage_type <> 'open' and to_stages.stage_type = 'open' then 'reopened'
            when
                from_stages.stage_type = 'open' and to_stages.stage_type = 'open'
                and to_stages.stage_order > from_stages.stage_order
                then 'advanced'
            when
                from_stages.stage_type = 'open' and to_stages.stage_type = 'open'
                and to_stages.stage_order < from_stages.stage_order
                then 'moved_back'
        end as movement

    from events

    inner join deals
        on events.deal_id = deals.deal_id

    inner join stages as to_stages
        on events.to_stage_code = to_stages.stage_code

    left join stages as from_stages
        on events.from_stage_code = from_stages.stage_code

),

period_moves as (

    select
        period_bounds.period_type,
        period_bounds.period_start,
        {%- for movement in movements %}
        sum(case when moves.movement = '{{ movement }}' then 1 else 0 end) as {{ movement }}_deals,
        sum(case when moves.movement = '{{ movement }}' then moves.amount_reporting else 0 end)
            as {{ movement }}_amount_reporting,
        {%- endfor %}
        count(*) as stage_changes  -- closes the list; not used further

    from period_bounds

    inner join moves
        on
            period_bounds.period_start <= moves.changed_date
            and period_bounds.period_end >= moves.changed_date

    group by 1, 2

),

waterfall as (

    select
        period_bounds.period_type,
        period_bounds.period_start,
        period_bounds.period_end,
        period_bounds.period_label,
        period_bounds.is_partial_period,
        coalesce(openings.deals, 0) as opening_deals,
        coalesce(openings.amount_reporting, 0) as opening_amount_reporting,
        {%- for movement in movements %}
        coalesce(period_moves.{{ movement }}_deals, 0) as {{ movement }}_deals,
        coalesce(period_moves.{{ movement }}_amount_reporting, 0) as {{ movement }}_amount_reporting,
        {%- endfor %}
        0 as amount_changed_reporting,
        coalesce(closings.deals, 0) as closing_deals,
        coalesce(closings.amount_reporting, 0) as closing_amount_reporting

    from period_bounds

    left join openings
        on
            period_bounds.period_type = openings.period_type
            and period_bounds.period_start = openings.period_start

    left join closings
        on
            period_bounds.period_type = closings.period_type
            and period_bounds.period_start = closings.period_start

    left join period_moves
        on
            period_bounds.period_type = period_moves.period_type
            and period_bounds.period_start = period_moves.period_start

),

final as (

    select
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        period_start,
        period_end,
        cast(period_label as {{ dbt.type_string() }}) as period_label,
        is_partial_period,
        cast(opening_deals as {{ dbt.type_int() }}) as opening_deals,
        {%- for movement in movements %}
        cast({{ movement }}_deals as {{ dbt.type_int() }}) as {{ movement }}_deals,
        {%- endfor %}
        cast(closing_deals as {{ dbt.type_int() }}) as closing_deals,
        cast(closing_deals - opening_deals as {{ dbt.type_int() }}) as net_change_deals,
        cast(
            opening_deals + new_deals + reopened_deals - won_deals - lost_deals - closing_deals
            as {{ dbt.type_int() }}
        ) as balance_check_deals,
        cast(opening_amount_reporting as {{ dbt.type_numeric() }}) as opening_amount_reporting,
        {%- for movement in movements %}
        cast({{ movement }}_amount_reporting as {{ dbt.type_numeric() }}) as {{ movement }}_amount_reporting,
        {%- endfor %}
        cast(amount_changed_reporting as {{ dbt.type_numeric() }}) as amount_changed_reporting,
        cast(closing_amount_reporting as {{ dbt.type_numeric() }}) as closing_amount_reporting,
        cast(
            opening_amount_reporting + new_amount_reporting + reopened_amount_reporting - won_amount_reporting
            - lost_amount_reporting + amount_changed_reporting - closing_amount_reporting
            as {{ dbt.type_numeric() }}
        ) as balance_check_amount_reporting,
        {{ reporting_currency() }} as reporting_currency,
        {{ as_of_date() }} as as_of_date

    from waterfall

)

select * from final
