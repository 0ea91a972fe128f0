{#- The reporting currency every mart amount is in (var reporting_currency, env FUNNELHOUSE_REPORTING_CURRENCY;
    default CNY), as a string literal for a mart's reporting_currency column. -#}
{% macro reporting_currency() -%}
    cast('{{ var("reporting_currency", "CNY") | upper }}' as {{ dbt.type_string() }})
{%- endmacro %}
