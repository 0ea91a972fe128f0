{#- Every stage change of every deal up to the as-of day, in order, with where it came from and went to.
    Repeats of the same funnel stage (two source stages mapped to one funnel stage, or a duplicate history row)
    are merged into the first entry. direction: entry (first stage), forward, backward, lost (to a lost stage),
    reopened (out of won or lost). stages_skipped counts the stages of the deal's pipeline passed over by a forward
    move, or before the first stage entered.

    Incremental (macros/incremental.sql): a run re-derives every event of the deals whose stage changes were
    re-derived (deal_fingerprint, funnel_version) or loaded since the newest load stored, whose changes reach past
    the newest event stored (the as-of day moved forward) and whose stored events lie after the as-of day (it moved
    back). The post-hook removes the deals with no stage change up to the as-of day in their current version. -#}
{{ config(
    materialized=entity_materialization(),
    unique_key='deal_id',
    incremental_strategy=entity_strategy(),
    on_schema_change='append_new_columns',
    post_hook=[
        drop_vanished(
            'deal_id', 'int_deal_stage_changes', versions=['deal_fingerprint', 'funnel_version'],
            where='stage_code is not null and changed_at < {{ as_of_cutoff() }}'
        )
    ]
) }}
with

stage_changes as (

    select * from {{ ref('int_deal_stage_changes') }}

),

stages as (

    select * from {{ ref('funnel_stages') }}

),

pipeline_stages as (

    select * from {{ ref('int_funnel_pipeline_stages') }}

),

all_in_scope as (

    select
        stage_changes.deal_id,
        stage_changes.source,
        stage_changes.pipeline_id,
        stage_changes.stage_code,
        stages.stage_order,
        stages.stage_type,
        stage_changes.changed_at,
        stage_changes.is_inferred,
        stage_changes.is_entry_time_known,
        stage_changes.source_load_id,
        stage_changes.deal_fingerprint,
        stage_changes.funnel_version

    from stage_changes

    inner join stages
        on stage_changes.stage_code = stages.stage_code

    where stage_changes.changed_at < {{ as_of_cutoff() }}

),

{% if is_incremental() %}

changed_deals as (

    {{ changed_entities('all_in_scope', 'deal_id', ['deal_fingerprint', 'funnel_version']) }}

    union

    {{ loaded_since('all_in_scope', 'deal_id', stored_load_column='deal_load_id') }}

    union

    -- the as-of day moved: events past the newest one stored, or stored events past the day
    {{ moved_as_of_day('all_in_scope', 'deal_id') }}

),

{% endif %}

in_scope as (

    {{ entities_to_build('all_in_scope', 'deal_id') }}

),

ordered as (

    select
        *,
        lag(stage_code) over (
            partition by deal_id
            order by changed_at, stage_order, is_inferred
        ) as previous_stage_code,
        row_number() over (
            partition by deal_id
            order by changed_at, stage_order, is_inferred
        ) as change_order

    from in_scope

),

collapsed as (

    select * from ordered

    where previous_stage_code is null or previous_stage_code <> stage_code

),

sequenced as (

    select
        deal_id,
        source,
        pipeline_id,
        stage_code as to_stage_code,
        stage_order as to_stage_order,
        stage_type as to_stage_type,
        changed_at,
        is_inferred,
        is_entry_time_known,
        source_load_id,
        deal_fingerprint,
        funnel_version,
        row_number() over (partition by deal_id order by change_order) as event_sequence,
        lag(stage_code) over (partition by deal_id order by change_order) as from_stage_code,
        lag(stage_order) over (partition by deal_id order by change_order) as from_stage_order,
        lag(stage_type) over (partition by deal_id order by change_order) as from_stage_type,
        lag(pipeline_id) over (partition by deal_id order by change_order) as from_pipeline_id,
        lead(changed_at) over (partition by deal_id order by change_order) as exited_at,
        lead(is_entry_time_known) over (partition by deal_id order by change_order) as is_exit_time_known,
        max(source_load_id) over (partition by deal_id) as deal_load_id

    from collapsed

),

ranked as (

    select
        sequenced.*,
        to_rank.pipeline_stage_rank as to_stage_rank,
        from_rank.pipeline_stage_rank as from_stage_rank

    from sequenced

    left join pipeline_stages as to_rank
        on
            sequenced.source = to_rank.stage_source
            and sequenced.pipeline_id = to_rank.pipeline_id
            and sequenced.to_stage_code = to_rank.stage_code

    left join pipeline_stages as from_rank
        on
            sequenced.source = from_rank.stage_source
            and sequenced.from_pipeline_id = from_rank.pipeline_id
            and sequenced.from_stage_code = from_rank.stage_code

),

directed as (

    select
        *,
        case
            when from_stage_code is null then 'entry'
            when to_stage_type = 'lost' then 'lost'
            when from_stage_type in ('won', 'lost') then 'reopened'
            when to_stage_order > from_stage_order then 'forward'
            else 'backward'
        end as direction

    from ranked

),

final as (

    select
        {{ dbt.concat(["deal_id", "'#'", "cast(event_sequence as " ~ dbt.type_string() ~ ")"]) }} as stage_event_id,
        deal_id,
        source,
        pipeline_id,
        event_sequence,
        from_stage_code,
        to_stage_code,
        changed_at,
        direction,
        case
            when direction = 'entry' then coalesce(to_stage_rank - 1, 0)
            when direction = 'forward' and to_stage_rank - from_stage_rank - 1 > 0
                then to_stage_rank - from_stage_rank - 1
            else 0
        end as stages_skipped,
        is_inferred,
        is_entry_time_known,
        exited_at,
        case
            when exited_at is not null and is_entry_time_known and is_exit_time_known
                then {{ whole_days_between('changed_at', 'exited_at') }}
        end as days_in_stage,
        exited_at is null as is_current_stage,
        deal_load_id,
        deal_fingerprint,
        funnel_version

    from directed

)

select * from final
