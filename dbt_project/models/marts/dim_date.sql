{%- set last_day = as_of_day() + modules.datetime.timedelta(days=366) -%}
with

spine as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start') ~ "' as date)",
        "cast('" ~ last_day.isoformat() ~ "' as date)"
    ) }}

),

final as (

    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        substring(cast(cast(date_day as date) as {{ dbt.type_string() }}), 1, 7) as month_label,
        cast(extract(year from date_day) as {{ dbt.type_int() }}) as year_number,
        cast(extract(quarter from date_day) as {{ dbt.type_int() }}) as quarter_number,
        cast(extract(month from date_day) as {{ dbt.type_int() }}) as month_number,
        cast(extract(day from date_day) as {{ dbt.type_int() }}) as day_of_month,
        cast(date_day as date) <= {{ as_of_date() }} as is_on_or_before_as_of

    from spine

)

select * from final
