{#- No text column of the model holds a clear email or phone number: emails must be hashed and phones masked
    outside staging. Fails with the column and value of every row that looks like an email (x@y.z), an E.164
    phone without a mask (+86...), or an 11-digit Chinese mobile number. -#}
{% test no_clear_contact_details(model) %}

{%- set text_columns = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- if column.is_string() -%}{%- do text_columns.append(column.name) -%}{%- endif -%}
    {%- endfor -%}
{%- endif %}

{%- if text_columns %}

{%- for column in text_columns %}

select
    '{{ column }}' as column_name,
    {{ column }} as suspicious_value

from {{ model }}

where
    {{ column }} like '%_@_%._%'
    or ({{ column }} like '+%' and {{ column }} not like '%*%' and length({{ column }}) >= 9
        and {{ is_digits("substring(" ~ column ~ ", 2, 20)") }})
    or (length({{ column }}) = 11 and {{ column }} like '1%' and {{ is_digits(column) }})
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}

{%- else %}

select
    cast(null as {{ dbt.type_string() }}) as column_name,
    cast(null as {{ dbt.type_string() }}) as suspicious_value

where 1 = 0

{%- endif %}

{% endtest %}
