{#- One row per day from the earliest day in the data to the as-of day + var calendar_horizon_days (366).
    The earliest day is the first of: deal creation and closing, stage changes, leads and marketing spend months
    (every date the marts join to dim_date), or var calendar_start when it is set and earlier (a calendar may
    start before the data, never after it). No data at all: the calendar starts on the as-of day.
    The spine is built in SQL from that day (dbt.date_spine needs literal bounds) with day numbers 0 .. 99,999:
    up to 273 years. Data spanning more (a mistyped year such as 0215) leaves the last days out, and the
    relationships tests to dim_date name the columns whose days are missing. -#}
{%- set horizon_days = var('calendar_horizon_days', 366) | int -%}
{%- set last_day = as_of_day() + modules.datetime.timedelta(days=horizon_days) -%}
{%- set calendar_start = var('calendar_start', none) -%}
with

deals as (

    select * from {{ ref('int_deals') }}

),

stage_events as (

    select * from {{ ref('int_deal_stage_events') }}

),

leads as (

    select * from {{ ref('int_leads') }}

),

spend as (

    select * from {{ ref('int_marketing_spend_monthly') }}

),

data_days as (

    select min(cast(created_at as date)) as first_day from deals
    union all
    select min(cast(closed_at as date)) as first_day from deals
    union all
    select min(cast(changed_at as date)) as first_day from stage_events
    union all
    select min(cast(created_at as date)) as first_day from leads
    union all
    select min(spend_month) as first_day from spend
    {%- if calendar_start not in (none, '') %}
    union all
    select cast('{{ calendar_start }}' as date) as first_day
    {%- endif %}

),

bounds as (

    select
        coalesce(min(first_day), {{ as_of_date() }}) as first_day,
        cast('{{ last_day.isoformat() }}' as date) as last_day

    from data_days

),

day_numbers as (

    {{ day_numbers(5) }}

),

spine as (

    select cast({{ dbt.dateadd('day', 'day_numbers.day_number', 'bounds.first_day') }} as date) as date_day

    from day_numbers

    cross join bounds

    where day_numbers.day_number <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}

),

final as (

    select
        date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        substring(cast(date_day as {{ dbt.type_string() }}), 1, 7) as month_label,
        cast(extract(year from date_day) as {{ dbt.type_int() }}) as year_number,
        cast(extract(quarter from date_day) as {{ dbt.type_int() }}) as quarter_number,
        cast(extract(month from date_day) as {{ dbt.type_int() }}) as month_number,
        cast(extract(day from date_day) as {{ dbt.type_int() }}) as day_of_month,
        date_day <= {{ as_of_date() }} as is_on_or_before_as_of

    from spine

)

select * from final
