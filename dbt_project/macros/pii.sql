{#- Emails and phones never leave staging in clear: intermediate models and marts carry these instead. -#}

{#- A salted hash of a normalised email or phone; null stays null. The salt is a secret (env FUNNELHOUSE_PII_SALT,
    which funnelhouse sets from .dlt/secrets.toml, generating it on first use): there is no default. -#}
{% macro pii_hash(expr) -%}
    case when {{ expr }} is not null then {{ dbt.hash(dbt.concat(["'" ~ pii_salt() ~ "|'", expr])) }} end
{%- endmacro %}

{#- The salt of pii_hash; a one-line error when a build runs without it (parsing needs none). -#}
{% macro pii_salt() -%}
    {%- set salt = env_var('FUNNELHOUSE_PII_SALT', '') | trim -%}
    {%- if execute and not salt -%}
        {{ exceptions.raise_compiler_error("FUNNELHOUSE_PII_SALT is not set: run dbt through funnelhouse (build, refresh), which reads or generates it in .dlt/secrets.toml, or export it from pii_salt under [funnelhouse] there") }}
    {%- endif -%}
    {{ salt | replace("'", "''") }}
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
