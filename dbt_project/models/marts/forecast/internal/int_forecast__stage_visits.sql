{#- One row per visit of an open stage (an entry into it in fct_deal_stage_events; a deal that comes back to a
    stage visits it again), with how the deal ended (fct_deals, as of the as-of day).
      visit_days           whole days from the day of entry to the day of exit (23:00 → 01:00 next day = 1): the
                           visit was in the stage at the end of days 0 .. visit_days − 1 after entry. Null when
                           the entry or exit time is not known (inferred tracker stages) or it has not exited.
      days_entry_to_close  whole days from the day of entry to the day the deal was won or lost (entry known).
      days_exit_to_close   whole days from the day the stage was left to the closing day (visit_days known). -#}
{%- set int_type = dbt.type_int() -%}
with

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

open_stage_visits as (

    select
        events.stage_event_id,
        events.deal_id,
        events.event_sequence,
        events.to_stage_code as stage_code,
        events.changed_at as entered_at,
        cast(events.changed_at as date) as entered_date,
        events.is_entry_time_known,
        events.exited_at,
        cast(events.exited_at as date) as exited_date,
        events.days_in_stage is not null as is_duration_known

    from events

    inner join stages
        on events.to_stage_code = stages.stage_code

    where stages.stage_type = 'open'

),

final as (

    select
        visits.stage_event_id as stage_visit_id,
        visits.deal_id,
        visits.event_sequence,
        visits.stage_code,
        visits.entered_at,
        visits.entered_date,
        visits.is_entry_time_known,
        visits.exited_at,
        visits.exited_date,
        case
            when visits.is_duration_known
                then cast({{ dbt.datediff('visits.entered_date', 'visits.exited_date', 'day') }} as {{ int_type }})
        end as visit_days,
        deals.closed_at,
        deals.closed_date,
        deals.is_won,
        deals.is_lost,
        case
            when visits.is_entry_time_known
                then cast({{ dbt.datediff('visits.entered_date', 'deals.closed_date', 'day') }} as {{ int_type }})
        end as days_entry_to_close,
        case
            when visits.is_duration_known
                then cast({{ dbt.datediff('visits.exited_date', 'deals.closed_date', 'day') }} as {{ int_type }})
        end as days_exit_to_close

    from open_stage_visits as visits

    inner join deals
        on visits.deal_id = deals.deal_id

)

select * from final
