{#- Emails and phones never leave staging in clear: intermediate models and marts carry these instead. -#}

{#- A salted hash (env FUNNELHOUSE_PII_SALT) of a normalised email or phone; null stays null. -#}
{% macro pii_hash(expr) -%}
    case when {{ expr }} is not null then {{ dbt.hash(dbt.concat(["'" ~ env_var('FUNNELHOUSE_PII_SALT', 'funnelhouse') ~ "|'", expr])) }} end
{%- endmacro %}

{#- A masked E.164 phone: +86138****5678 (first 6 and last 4 characters kept). -#}
{% macro mask_phone(expr) -%}
    case
        when length({{ expr }}) >= 11
            then {{ dbt.concat(["substring(" ~ expr ~ ", 1, 6)", "'****'", dbt.right(expr, 4)]) }}
        when {{ expr }} is not null then '****'
    end
{%- endmacro %}

{#- The protected columns of an email: <col>_domain and <col>_hash. -#}
{% macro protected_email_columns(column) -%}
    {{ email_domain(column) }} as {{ column }}_domain,
    {{ pii_hash(column) }} as {{ column }}_hash
{%- endmacro %}

{#- The protected columns of an E.164 phone: <col>_hash and <col>_masked. -#}
{% macro protected_phone_columns(column) -%}
    {{ pii_hash(column) }} as {{ column }}_hash,
    {{ mask_phone(column) }} as {{ column }}_masked
{%- endmacro %}
