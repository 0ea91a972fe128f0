{#- The combination of `columns` is unique (nulls compare equal). Usage:
      data_tests:
        - unique_combination:
            arguments: {columns: [a, b]} -#}
{% test unique_combination(model, columns) %}

with

keys as (

    select
        {%- for column in columns %}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '<null>') as key_{{ loop.index }}
        {{- "," if not loop.last }}
        {%- endfor %}

    from {{ model }}

)

select
    {%- for column in columns %}
    key_{{ loop.index }},
    {%- endfor %}
    count(*) as occurrences

from keys

group by {% for column in columns %}{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}

having count(*) > 1

{% endtest %}
