{#- One select per level, unioned: each row of `relation` once per level, tagged with the level's name
    (level_column), its key (key_column) and its display label (label_column). `levels` maps a level name to a pair
    (key expression, label expression), e.g. {'overall': ("'all'", "'全部 All'"), 'channel': ('channel_code',
    'channel_name')}. `keys` are columns carried through as they are. With `measures` (aggregate expressions), each
    level is aggregated on its own (group by level, key and the keys; the label is the smallest one), so the union
    never holds every row once per level: one group by per level keeps a million deals within DuckDB's memory cap. -#}
{% macro by_levels(
    relation, levels, keys=[], measures=none,
    level_column='segment_type', key_column='segment_value', label_column='segment_label'
) -%}
    {%- set string_type = dbt.type_string() -%}
    {%- for level, expressions in levels.items() %}

    select
        '{{ level }}' as {{ level_column }},
        cast({{ expressions[0] }} as {{ string_type }}) as {{ key_column }},
        {%- if measures is none %}
        cast({{ expressions[1] }} as {{ string_type }}) as {{ label_column }}
        {%- else %}
        min(cast({{ expressions[1] }} as {{ string_type }})) as {{ label_column }}
        {%- endif %}
        {%- for column in keys %},
        {{ column }}
        {%- endfor %}
        {%- for measure in measures or [] %},
        {{ measure }}
        {%- endfor %}

    from {{ relation }}
    {%- if measures is not none %}

    group by 1, 2{% for column in keys %}, {{ loop.index + 3 }}{% endfor %}
    {%- endif %}
    {% if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- Every deal with the attributes the segmented marts group by (cohort month, channel, owner, team, industry, size
    band), unknowns named: the one definition mart_funnel_conversion and mart_stage_velocity_by_segment share. The
    arguments name the import CTEs of fct_deals, dim_channel, dim_owner and dim_company. -#}
{% macro deal_segment_attributes(deals='deals', channels='channels', owners='owners', companies='companies') -%}
    select
        {{ deals }}.deal_id,
        {{ deals }}.is_won,
        substring(cast({{ deals }}.cohort_month as {{ dbt.type_string() }}), 1, 7) as cohort_month,
        {{ deals }}.channel_code,
        coalesce({{ channels }}.name_zh, {{ deals }}.channel_code) as channel_name,
        coalesce({{ deals }}.owner_id, 'unknown') as owner_id,
        coalesce({{ owners }}.owner_name, 'unknown') as owner_name,
        coalesce({{ owners }}.team_name, 'unknown') as team_name,
        coalesce({{ companies }}.industry_code, 'other') as industry_code,
        coalesce({{ companies }}.industry_name_zh, '其他') as industry_name,
        coalesce({{ companies }}.size_band_code, 'unknown') as size_band_code,
        coalesce({{ companies }}.size_band_name_zh, '未知') as size_band_name

    from {{ deals }}

    left join {{ channels }}
        on {{ deals }}.channel_code = {{ channels }}.channel_code

    left join {{ owners }}
        on {{ deals }}.owner_id = {{ owners }}.owner_id

    left join {{ companies }}
        on {{ deals }}.company_id = {{ companies }}.company_id
{%- endmacro %}

{#- Contact protection in staging: the rows of `relation` (its email already through normalize_email, its phone
    through phone_digits) with the phone in E.164 (phone_e164), then the columns that may leave staging:
    <name>_key (person_name_key of the name column), email_domain, email_hash, phone_hash, phone_masked. The clear
    email, phone_digits and phone stay in the staging model. -#}
{% macro protect_contact(relation, name, email='email', phone_digits='phone_digits') -%}
    select
        *,
        {{ person_name_key(name) }} as {{ name }}_key,
        {{ protected_email_columns(email) }},
        {{ protected_phone_columns('phone') }}

    from (

        select
            *,
            {{ phone_e164(phone_digits) }} as phone

        from {{ relation }}

    ) as normalised
{%- endmacro %}
