{#- The "as of" day of a build: var as_of (YYYY-MM-DD) or, when empty, the day the run started (UTC).
    Everything after the end of that day (UTC) is left out, so a funnel can be rebuilt exactly as it was. -#}

{% macro as_of_day() -%}
    {%- set value = var('as_of', none) -%}
    {%- if value is none or value == '' -%}
        {{ return(run_started_at.date()) }}
    {%- elif value is string -%}
        {{ return(modules.datetime.date.fromisoformat(value.strip())) }}
    {%- elif value.year is defined -%}
        {{ return(modules.datetime.date(value.year, value.month, value.day)) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("var as_of must be a date YYYY-MM-DD, got " ~ value) }}
    {%- endif -%}
{%- endmacro %}

{#- SQL date literal of the as-of day. -#}
{% macro as_of_date() -%}
    cast('{{ as_of_day().isoformat() }}' as date)
{%- endmacro %}

{#- SQL timestamp literal of the first moment after the as-of day: keep rows with ts < as_of_cutoff(). -#}
{% macro as_of_cutoff() -%}
    {%- set next_day = as_of_day() + modules.datetime.timedelta(days=1) -%}
    cast('{{ next_day.isoformat() }} 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The calendar months from `first_month`.month_start up to the as-of day's month, read from the relation or CTE
    `calendar` (dim_date): month_start, month_label, month_end (the month's last day, which may be after as-of). -#}
{% macro months_until_as_of(calendar, first_month) -%}
    select
        {{ calendar }}.month_start,
        min({{ calendar }}.month_label) as month_label,
        max({{ calendar }}.date_day) as month_end

    from {{ calendar }}

    cross join {{ first_month }}

    where
        {{ calendar }}.month_start >= {{ first_month }}.month_start
        and {{ calendar }}.month_start <= {{ as_of_date() }}

    group by 1
{%- endmacro %}
