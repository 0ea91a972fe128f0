{#- Normalisation used by staging (and the seeds' lookups): portable string functions only. -#}

{#- Lower-cased, trimmed text for case-insensitive lookups in the seeds' maps. -#}
{% macro lookup_key(expr) -%}
    lower(trim({{ expr }}))
{%- endmacro %}

{#- Email as stored for matching: trimmed and lower-cased; null when it has no @. -#}
{% macro normalize_email(expr) -%}
    case
        when {{ dbt.position("'@'", expr) }} > 1 then lower(trim({{ expr }}))
    end
{%- endmacro %}

{#- The domain of a normalised email (after the @). -#}
{% macro email_domain(expr) -%}
    {{ dbt.split_part(expr, "'@'", 2) }}
{%- endmacro %}

{#- True when expr is a non-empty string of the digits 0-9 only. -#}
{% macro is_digits(expr) -%}
    (length({{ expr }}) > 0 and
    {% for digit in range(10) %}replace({% endfor %}{{ expr }}
    {%- for digit in range(10) %}, '{{ digit }}', ''){% endfor %} = '')
{%- endmacro %}

{#- A phone number without separators: spaces, dashes, dots, brackets (incl. full-width) removed. -#}
{% macro phone_digits(expr) -%}
    {%- set separators = [' ', '-', '.', '(', ')', '（', '）', '　'] -%}
    {% for sep in separators %}replace({% endfor %}trim({{ expr }})
    {%- for sep in separators %}, '{{ sep | replace("'", "''") }}', ''){% endfor %}
{%- endmacro %}

{#- E.164 from the output of phone_digits (the rule of ingestion/common/parsing.normalize_phone):
    Chinese mobiles (11 digits starting with 1) and landlines (0 + area code + number, 10-12 digits) get +86;
    +86 / 0086 / 86 prefixes are understood, and so is a landline after +86 without its 0 (+86 21 6234 5678);
    other international numbers (+ and 8-15 digits) are kept; anything else is null. -#}
{% macro phone_e164(digits) -%}
    {%- set unsigned -%}
        case when {{ digits }} like '+%' then substring({{ digits }}, 2, 30) else {{ digits }} end
    {%- endset -%}
    {%- set national -%}
        case
            when {{ digits }} like '+86%' then substring({{ digits }}, 4, 30)
            when {{ digits }} like '0086%' then substring({{ digits }}, 5, 30)
            when {{ digits }} like '86%' and length({{ digits }}) = 13 then substring({{ digits }}, 3, 30)
            else {{ digits }}
        end
    {%- endset -%}
    case
        when not {{ is_digits(unsigned) }} then null
        when {{ digits }} like '+%' and {{ digits }} not like '+86%'
            then case when length({{ digits }}) between 9 and 16 then {{ digits }} end
        when length({{ national }}) = 11 and {{ national }} like '1%'
            then {{ dbt.concat(["'+86'", national]) }}
        when length({{ national }}) between 10 and 12 and {{ national }} like '0%'
            then {{ dbt.concat(["'+86'", "substring(" ~ national ~ ", 2, 30)"]) }}
        when ({{ digits }} like '+86%' or {{ digits }} like '0086%')
            and length({{ national }}) between 9 and 11 and {{ national }} not like '0%' and {{ national }} not like '1%'
            then {{ dbt.concat(["'+86'", national]) }}
    end
{%- endmacro %}

{#- A company name lower-cased, without spaces and punctuation: the first step of company_name_key. -#}
{% macro company_name_squeezed(expr) -%}
    {%- set separators = [' ', '.', ',', '，', '(', ')', '（', '）', '-', '&', '　', "'"] -%}
    nullif({% for sep in separators %}replace({% endfor %}lower(trim({{ expr }}))
    {%- for sep in separators %}, '{{ sep | replace("'", "''") }}', ''){% endfor %}, '')
{%- endmacro %}

{#- Company name for matching, from the output of company_name_squeezed: one legal suffix stripped
    (有限公司, 股份有限公司, Co., Ltd., Inc., ...). Two steps (two CTEs) keep the SQL small. -#}
{% macro company_name_key(squeezed) -%}
    {%- set suffixes = [
        '股份有限公司', '集团有限公司', '有限责任公司', '有限公司', '集团公司', '公司',
        'groupcoltd', 'coltd', 'corporation', 'limited', 'ltd', 'inc', 'corp', 'gmbh', 'llc'
    ] -%}
    nullif(case
        {%- for suffix in suffixes %}
        when {{ squeezed }} like '%{{ suffix }}'
            then substring({{ squeezed }}, 1, length({{ squeezed }}) - {{ suffix | length }})
        {%- endfor %}
        else {{ squeezed }}
    end, '')
{%- endmacro %}

{#- Person or owner name for matching: lower-cased, spaces and dots removed ("Ryan Han" -> ryanhan). -#}
{% macro person_name_key(expr) -%}
    nullif(replace(replace(replace(lower(trim({{ expr }})), ' ', ''), '.', ''), '　', ''), '')
{%- endmacro %}
