{#- How long deals take, per funnel stage, overall and by channel, owner, team and cohort month (var
    velocity_segments): one row per segment value and stage. Each deal is in exactly one value of each segment type.
      Open stages (measure time_in_stage): whole days a deal spent in the stage before leaving it, summed over its
      visits (a backward move brings it back), from stage changes whose entry and exit times are both known
      (inferred tracker stages count only for the stage before the current one: 上一阶段停留时长). Deals still in
      the stage are not measured. A skipped stage has no time in it.
      Won and lost (measure cycle_length): whole days from creation to closing (fct_deals.cycle_days), for deals
      with a known creation time.
    Whole days are calendar days (the difference of the dates, as CRMs report them); averages and percentiles of
    them have fractions. -#}
{%- set all_segments = {
    'overall': ("'all'", "'全部 All'"),
    'channel': ('channel_code', 'channel_name'),
    'owner': ('owner_id', 'owner_name'),
    'team': ('team_name', 'team_name'),
    'cohort_month': ('cohort_month', 'cohort_month'),
} %}
{%- set segments = {} %}
{%- for segment_type in var('velocity_segments') %}
{%- do segments.update({segment_type: all_segments[segment_type]}) %}
{%- endfor %}
with

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

channels as (

    select * from {{ ref('dim_channel') }}

),

owners as (

    select * from {{ ref('dim_owner') }}

),

companies as (

    select * from {{ ref('dim_company') }}

),

deal_attributes as (

    {{ deal_segment_attributes() }}

),

stays as (

    select
        deal_id,
        to_stage_code as stage_code,
        sum(days_in_stage) as days

    from events

    where days_in_stage is not null

    group by 1, 2

),

cycles as (

    select
        deal_id,
        case when is_won then 'won' else 'lost' end as stage_code,
        cycle_days as days

    from deals

    where cycle_days is not null and (is_won or is_lost)

),

measured as (

    select * from stays
    union all
    select * from cycles

),

measured_deals as (

    select
        measured.stage_code,
        measured.days,
        deal_attributes.cohort_month,
        deal_attributes.channel_code,
        deal_attributes.channel_name,
        deal_attributes.owner_id,
        deal_attributes.owner_name,
        deal_attributes.team_name

    from measured

    inner join deal_attributes
        on measured.deal_id = deal_attributes.deal_id

),

segment_values as (
    {{- by_levels('deal_attributes', segments, measures=['count(*) as deals_in_segment']) }}

),

stats as (
    {{- by_levels('measured_deals', segments, keys=['stage_code'], measures=[
        'count(*) as deals_measured',
        'avg(days) as avg_days',
        percentile('days', 0.5) ~ ' as median_days',
        percentile('days', 0.9) ~ ' as p90_days',
        'min(days) as min_days',
        'max(days) as max_days',
    ]) }}

),

final as (

    select
        segment_values.segment_type,
        segment_values.segment_value,
        segment_values.segment_label,
        cast(segment_values.deals_in_segment as {{ dbt.type_int() }}) as deals_in_segment,
        stages.stage_code,
        stages.stage_order,
        stages.name_zh as stage_name_zh,
        stages.name_en as stage_name_en,
        stages.stage_type,
        case when stages.stage_type = 'open' then 'time_in_stage' else 'cycle_length' end as measure,
        cast(coalesce(stats.deals_measured, 0) as {{ dbt.type_int() }}) as deals_measured,
        cast(round(stats.avg_days, 2) as {{ dbt.type_numeric() }}) as avg_days,
        cast(round(stats.median_days, 2) as {{ dbt.type_numeric() }}) as median_days,
        cast(round(stats.p90_days, 2) as {{ dbt.type_numeric() }}) as p90_days,
        cast(stats.min_days as {{ dbt.type_int() }}) as min_days,
        cast(stats.max_days as {{ dbt.type_int() }}) as max_days,
        {{ as_of_date() }} as as_of_date

    from segment_values

    cross join stages

    left join stats
        on
            segment_values.segment_type = stats.segment_type
            and segment_values.segment_value = stats.segment_value
            and stages.stage_code = stats.stage_code

)

select * from final
