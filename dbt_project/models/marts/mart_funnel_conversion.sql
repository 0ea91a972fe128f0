{#- Conversion per funnel stage, overall and by segment (one row per segment value and stage).
      reached      deals that got to this stage or a later one (open stages and won: the furthest open or won
                   stage the deal ever entered is at or after this one, so a skipped stage counts as passed;
                   lost stages: deals that entered them). This is the funnel's count: it never grows down the funnel.
      entered      deals that actually entered the stage at least once (fct_deal_stage_events.to_stage_code)
      advanced     of those, deals that later moved forward out of it (to a later open stage or won)
      won_later    of the deals that reached the stage, those won as of the as-of day
      lost_here    deals lost straight from this stage
      adjacent_conversion_rate    reached(next open or won stage) / reached (open stages; null for won and lost)
      cumulative_conversion_rate  reached / deals in the segment (how far into the funnel the segment gets)
      win_rate                    won_later / reached
    A deal counts once per stage however often it re-entered it (backward moves). Segments: overall, cohort
    month (creation), channel, owner, team, industry, size band; each deal is in exactly one value of each, so the
    stage counts of any segment type add up to the overall ones. -#}
{%- set string_type = dbt.type_string() -%}
{%- set all_segments = {
    'overall': ("'all'", "'全部 All'"),
    'cohort_month': ('cohort_month', 'cohort_month'),
    'channel': ('channel_code', 'channel_name'),
    'owner': ('owner_id', 'owner_name'),
    'team': ('team_name', 'team_name'),
    'industry': ('industry_code', 'industry_name'),
    'size_band': ('size_band_code', 'size_band_name'),
} %}
{%- set segments = [] %}
{%- for segment_type in var('conversion_segments') %}
{%- do segments.append((segment_type, all_segments[segment_type][0], all_segments[segment_type][1])) %}
{%- endfor %}
with

deals as (

    select * from {{ ref('fct_deals') }}

),

events as (

    select * from {{ ref('fct_deal_stage_events') }}

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

segment_deals as (

    {%- for segment_type, value, label in segments %}

    select
        '{{ segment_type }}' as segment_type,
        cast({{ value }} as {{ string_type }}) as segment_value,
        cast({{ label }} as {{ string_type }}) as segment_label,
        deal_id,
        is_won

    from deal_attributes
    {% if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

segments as (

    select
        segment_type,
        segment_value,
        min(segment_label) as segment_label,
        count(*) as deals_in_segment

    from segment_deals

    group by 1, 2

),

stage_entries as (

    select distinct
        deal_id,
        to_stage_code as stage_code

    from events

),

stage_advances as (

    select distinct
        deal_id,
        from_stage_code as stage_code

    from events

    where direction = 'forward'

),

stage_losses as (

    select distinct
        deal_id,
        from_stage_code as stage_code

    from events

    where direction = 'lost'

),

deal_furthest as (

    select
        events.deal_id,
        max(stages.stage_order) as furthest_stage_order

    from events

    inner join stages
        on events.to_stage_code = stages.stage_code

    where stages.stage_type <> 'lost'

    group by 1

),

stage_reaches as (

    select
        deal_furthest.deal_id,
        stages.stage_code

    from deal_furthest

    inner join stages
        on
            deal_furthest.furthest_stage_order >= stages.stage_order
            and stages.stage_type <> 'lost'

    union all

    select distinct
        stage_entries.deal_id,
        stage_entries.stage_code

    from stage_entries

    inner join stages
        on stage_entries.stage_code = stages.stage_code

    where stages.stage_type = 'lost'

),

deal_stages as (

    select
        stage_reaches.deal_id,
        stage_reaches.stage_code,
        case when stage_entries.deal_id is not null then 1 else 0 end as entered,
        case when stage_advances.deal_id is not null then 1 else 0 end as advanced,
        case when stage_losses.deal_id is not null then 1 else 0 end as lost_here

    from stage_reaches

    left join stage_entries
        on
            stage_reaches.deal_id = stage_entries.deal_id
            and stage_reaches.stage_code = stage_entries.stage_code

    left join stage_advances
        on
            stage_reaches.deal_id = stage_advances.deal_id
            and stage_reaches.stage_code = stage_advances.stage_code

    left join stage_losses
        on
            stage_reaches.deal_id = stage_losses.deal_id
            and stage_reaches.stage_code = stage_losses.stage_code

),

deal_stage_segments as (

    select
        deal_stages.*,
        deal_attributes.is_won,
        deal_attributes.cohort_month,
        deal_attributes.channel_code,
        deal_attributes.owner_id,
        deal_attributes.team_name,
        deal_attributes.industry_code,
        deal_attributes.size_band_code

    from deal_stages

    inner join deal_attributes
        on deal_stages.deal_id = deal_attributes.deal_id

),

stage_counts as (
    {#- one aggregate per segment type over the deal stages, not one over every deal stage times every segment
        type: a million deals stay within DuckDB's memory cap -#}
    {%- for segment_type, value, label in segments %}

    select
        '{{ segment_type }}' as segment_type,
        cast({{ value }} as {{ string_type }}) as segment_value,
        stage_code,
        count(*) as reached,
        sum(entered) as entered,
        sum(advanced) as advanced,
        sum(case when is_won then 1 else 0 end) as won_later,
        sum(lost_here) as lost_here

    from deal_stage_segments

    group by 1, 2, 3
    {% if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

grid as (

    select
        segments.segment_type,
        segments.segment_value,
        segments.segment_label,
        segments.deals_in_segment,
        stages.stage_code,
        stages.stage_order,
        stages.name_zh as stage_name_zh,
        stages.name_en as stage_name_en,
        stages.stage_type

    from segments

    cross join stages

),

counts as (

    select
        grid.*,
        coalesce(stage_counts.reached, 0) as reached,
        coalesce(stage_counts.entered, 0) as entered,
        coalesce(stage_counts.advanced, 0) as advanced,
        coalesce(stage_counts.won_later, 0) as won_later,
        coalesce(stage_counts.lost_here, 0) as lost_here

    from grid

    left join stage_counts
        on
            grid.segment_type = stage_counts.segment_type
            and grid.segment_value = stage_counts.segment_value
            and grid.stage_code = stage_counts.stage_code

),

next_stage_reaches as (

    select
        segment_type,
        segment_value,
        stage_code,
        lead(reached) over (
            partition by segment_type, segment_value
            order by stage_order
        ) as next_stage_reached

    from counts

    where stage_type <> 'lost'

),

rates as (

    select
        counts.*,
        {{ safe_divide('next_stage_reaches.next_stage_reached', 'counts.reached') }} as next_stage_share,
        {{ safe_divide('counts.reached', 'counts.deals_in_segment') }} as reached_share,
        {{ safe_divide('counts.won_later', 'counts.reached') }} as won_share

    from counts

    left join next_stage_reaches
        on
            counts.segment_type = next_stage_reaches.segment_type
            and counts.segment_value = next_stage_reaches.segment_value
            and counts.stage_code = next_stage_reaches.stage_code

),

final as (

    select
        segment_type,
        segment_value,
        segment_label,
        stage_code,
        stage_order,
        stage_name_zh,
        stage_name_en,
        stage_type,
        cast(deals_in_segment as {{ dbt.type_int() }}) as deals_in_segment,
        cast(reached as {{ dbt.type_int() }}) as reached,
        cast(entered as {{ dbt.type_int() }}) as entered,
        cast(advanced as {{ dbt.type_int() }}) as advanced,
        cast(won_later as {{ dbt.type_int() }}) as won_later,
        cast(lost_here as {{ dbt.type_int() }}) as lost_here,
        cast(
            case when stage_type = 'open' then round(next_stage_share, 4) end as {{ dbt.type_numeric() }}
        ) as adjacent_conversion_rate,
        cast(round(reached_share, 4) as {{ dbt.type_numeric() }}) as cumulative_conversion_rate,
        cast(round(won_share, 4) as {{ dbt.type_numeric() }}) as win_rate,
        {{ as_of_date() }} as as_of_date

    from rates

)

select * from final
