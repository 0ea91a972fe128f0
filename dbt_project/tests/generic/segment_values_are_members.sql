{#- Every segment value is a member of its dimension: owner → dim_owner.owner_id (its member 'unknown' included),
    team / manager / office → dim_owner's team_name / manager_name / office, channel → dim_channel, industry → the
    seed industries, size_band → the seed company_size_bands, cohort_month → a month_label of dim_date, overall →
    'all'. The segment values are built with coalesce(..., 'unknown'), so a not_null test on them could not fail;
    this one fails with every segment type and value no dimension has. Usage (defaults segment_type, segment_value):
      data_tests:
        - segment_values_are_members:
            arguments: {type_column: performance_level, value_column: performance_key} -#}
{% test segment_values_are_members(model, type_column='segment_type', value_column='segment_value') %}

{%- set string_type = dbt.type_string() %}

with

segments as (

    select distinct
        cast({{ type_column }} as {{ string_type }}) as segment_type,
        cast({{ value_column }} as {{ string_type }}) as segment_value

    from {{ model }}

),

members as (

    select
        cast('overall' as {{ string_type }}) as segment_type,
        cast('all' as {{ string_type }}) as segment_value

    {%- for segment_type, relation, column in [
        ('owner', ref('dim_owner'), 'owner_id'), ('team', ref('dim_owner'), 'team_name'),
        ('manager', ref('dim_owner'), 'manager_name'), ('office', ref('dim_owner'), 'office'),
        ('channel', ref('dim_channel'), 'channel_code'), ('industry', ref('industries'), 'industry_code'),
        ('size_band', ref('company_size_bands'), 'size_band_code'), ('cohort_month', ref('dim_date'), 'month_label'),
    ] %}

    union all

    select
        '{{ segment_type }}' as segment_type,
        {{ column }} as segment_value

    from {{ relation }}
    {%- endfor %}

)

select segments.segment_type, segments.segment_value

from segments

left join members
    on
        segments.segment_type = members.segment_type
        and segments.segment_value = members.segment_value

where members.segment_value is null

{% endtest %}
