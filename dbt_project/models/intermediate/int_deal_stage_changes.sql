{#- Every time a deal entered a stage, from every source, before ordering and cleaning (int_deal_stage_events).

    Recorded: the stage histories of var('deal_stage_change_sources'), each through its canonical model
    int_<source>__deal_stage_changes (macros/union_sources.sql): HubSpot's dealstage history, the English export's
    stage history and the dated columns of spreadsheet deals (`enters` in mapping.yaml: Maven's engage_date →
    Engaging, close_date → its won/lost stage). A history that starts with a move out of a stage (the export's From
    Stage set) also gets that stage's entry, inferred at the deal's creation.

    Inferred (is_inferred), for deals that only say where they are now — every tracker row, and export or HubSpot
    deals without any history. The rule:
      * the deal went forward one stage at a time through its pipeline's stages (funnel_stage_map) from the first
        up to its current stage; a lost deal up to the stage it was lost from, which a spreadsheet entry may state
        (lost_from_stage), else the number of dated notes
        in the tracker's 关键动作记录 minus one (one note per stage entered), else the first stage;
      * the current stage was entered on 进入阶段时间 (the export's Stage Entered; HubSpot: close date of a closed
        deal, else its creation), the stage before it 上一阶段停留时长 days earlier;
      * a creation date, when the source has one, dates the entry into the first stage;
      * the other stages' entry times are unknown: they get the earliest known time after them and
        is_entry_time_known = false, so they count in the funnel but not in time-in-stage.

    Incremental (macros/incremental.sql): a run re-derives every change of a deal, and only of the deals that
    changed: a deal whose row is new or changed (deal_fingerprint), a deal with a stage-history row loaded since
    the newest load stored, every deal when the funnel definition changed (funnel_version). The post-hooks remove
    the deals that vanished or whose row changed and who have no change any more. -#}
{%- set ts = dbt.type_timestamp() -%}
{%- set string_type = dbt.type_string() -%}
{{ config(
    materialized=entity_materialization(),
    unique_key='deal_id',
    incremental_strategy=entity_strategy(),
    on_schema_change='append_new_columns',
    post_hook=[
        drop_vanished('deal_id', 'int_deals_unioned', versions=['deal_fingerprint']),
        delete_rows_where(
            "funnel_version <> "
            ~ "({{ funnel_version(ref('int_funnel_pipeline_stages'), ref('int_stage_lookup')) }})"
        )
    ]
) }}
with

all_deals as (

    select * from {{ ref('int_deals_unioned') }}

),

stage_changes as (

    {{ union_sources('deal_stage_changes', var('deal_stage_change_sources')) | indent(4) }}

),

stage_lookup as (

    select * from {{ ref('int_stage_lookup') }}

),

pipeline_stages as (

    select * from {{ ref('int_funnel_pipeline_stages') }}

),

stages as (

    select * from {{ ref('funnel_stages') }}

),

funnel_version as (

    {{ funnel_version('pipeline_stages', 'stage_lookup') }}

),

{% if is_incremental() %}

deal_versions as (

    select
        all_deals.deal_id,
        all_deals.deal_fingerprint,
        funnel_version.funnel_version

    from all_deals

    cross join funnel_version

),

history_loaded as (

    {{ loaded_since('stage_changes', 'deal_id') }}

),

changed_deals as (

    {{ changed_entities('deal_versions', 'deal_id', ['deal_fingerprint', 'funnel_version']) }}

    union

    select deal_id from history_loaded

),

{% endif %}

deals as (

    {{ entities_to_build('all_deals', 'deal_id') }}

),

recorded as (

    -- read in the deal's stage vocabulary (a spreadsheet entry's stage_source)
    select
        deals.deal_id,
        deals.stage_source as source,
        changes.source_stage,
        changes.ingested_stage_code,
        changes.changed_at,
        false as is_inferred,
        true as is_entry_time_known,
        changes.source_load_id

    from stage_changes as changes

    inner join deals
        on changes.deal_id = deals.deal_id

),

histories_with_from as (

    -- the histories that name the stage a move left (one window over these only)
    select distinct deal_id

    from stage_changes

    where from_source_stage is not null

),

first_moves as (

    select
        changes.deal_id,
        changes.from_source_stage,
        changes.ingested_from_stage_code,
        changes.changed_at,
        changes.source_load_id,
        row_number() over (
            partition by changes.deal_id order by changes.changed_at, changes.change_order
        ) as move_rank

    from stage_changes as changes

    inner join histories_with_from
        on changes.deal_id = histories_with_from.deal_id

),

opening as (

    -- a history that starts with a move out of a stage: the deal sat there since its creation
    select
        deals.deal_id,
        deals.stage_source as source,
        first_moves.from_source_stage as source_stage,
        first_moves.ingested_from_stage_code as ingested_stage_code,
        case
            when deals.created_at <= first_moves.changed_at then deals.created_at
            else first_moves.changed_at
        end as changed_at,
        true as is_inferred,
        coalesce(deals.created_at <= first_moves.changed_at, false) as is_entry_time_known,
        first_moves.source_load_id

    from first_moves

    inner join deals
        on first_moves.deal_id = deals.deal_id

    where first_moves.move_rank = 1 and first_moves.from_source_stage is not null

),

all_recorded as (

    select * from recorded
    union all
    select * from opening

),

recorded_mapped as (

    select
        all_recorded.deal_id,
        all_recorded.source,
        all_recorded.source_stage,
        coalesce(stage_lookup.stage_code, ingested.stage_code) as stage_code,
        coalesce(stage_lookup.pipeline_id, 'default') as pipeline_id,
        all_recorded.changed_at,
        all_recorded.is_inferred,
        all_recorded.is_entry_time_known,
        all_recorded.source_load_id

    from all_recorded

    left join stage_lookup
        on
            all_recorded.source = stage_lookup.stage_source
            and {{ lookup_key("replace(all_recorded.source_stage, ' ', '')") }} = stage_lookup.source_stage_key

    left join stages as ingested
        on all_recorded.ingested_stage_code = ingested.stage_code

),

deals_with_history as (

    select distinct deal_id from all_recorded

),

snapshots as (

    select
        deals.deal_id,
        -- source of a change = the stage vocabulary its stage is read in (a spreadsheet entry's stage_source)
        deals.stage_source as source,
        deals.stage_source,
        deals.lost_from_stage_code,
        deals.current_stage_value as source_stage,
        coalesce(stage_lookup.stage_code, ingested.stage_code) as stage_code,
        coalesce(stage_lookup.pipeline_id, 'default') as pipeline_id,
        deals.stage_entered_on,
        deals.closed_at,
        deals.created_at,
        deals.previous_stage_days,
        deals.key_action_count,
        deals.source_load_id

    from deals

    left join deals_with_history
        on deals.deal_id = deals_with_history.deal_id

    left join stage_lookup
        on
            deals.stage_source = stage_lookup.stage_source
            and {{ lookup_key("replace(deals.current_stage_value, ' ', '')") }} = stage_lookup.source_stage_key

    left join stages as ingested
        on deals.ingested_stage_code = ingested.stage_code

    where deals_with_history.deal_id is null

),

open_ranks as (

    select
        stage_source,
        pipeline_id,
        max(pipeline_stage_rank) as last_open_rank

    from pipeline_stages

    where stage_type = 'open'

    group by 1, 2

),

snapshot_entries as (

    select
        snapshots.*,
        stages.stage_type,
        case
            when snapshots.stage_entered_on is not null then cast(snapshots.stage_entered_on as {{ ts }})
            when stages.stage_type in ('won', 'lost') and snapshots.closed_at is not null then snapshots.closed_at
            else snapshots.created_at
        end as entered_at,
        (
            snapshots.stage_entered_on is not null
            or (stages.stage_type in ('won', 'lost') and snapshots.closed_at is not null)
        ) as is_entered_at_known,
        case
            when stages.stage_type = 'lost'
                then
                    case
                        when lost_from.pipeline_stage_rank is not null then lost_from.pipeline_stage_rank
                        when snapshots.key_action_count - 1 > open_ranks.last_open_rank then open_ranks.last_open_rank
                        when snapshots.key_action_count - 1 >= 1 then snapshots.key_action_count - 1
                        else 1
                    end
            else current_stage.pipeline_stage_rank
        end as path_last_rank

    from snapshots

    inner join stages
        on snapshots.stage_code = stages.stage_code

    left join pipeline_stages as current_stage
        on
            snapshots.stage_source = current_stage.stage_source
            and snapshots.pipeline_id = current_stage.pipeline_id
            and snapshots.stage_code = current_stage.stage_code

    left join pipeline_stages as lost_from
        on
            snapshots.stage_source = lost_from.stage_source
            and snapshots.pipeline_id = lost_from.pipeline_id
            and snapshots.lost_from_stage_code = lost_from.stage_code

    left join open_ranks
        on
            snapshots.stage_source = open_ranks.stage_source
            and snapshots.pipeline_id = open_ranks.pipeline_id

),

snapshot_timed as (

    select
        *,
        case
            when previous_stage_days is not null and entered_at is not null
                then {{ dbt.dateadd('day', '-1 * previous_stage_days', 'entered_at') }}
        end as previous_entered_at

    from snapshot_entries

),

snapshot_path as (

    -- the stages walked through, up to the current stage (or the stage a lost deal was lost from)
    select
        snapshot_timed.deal_id,
        snapshot_timed.source,
        snapshot_timed.source_stage,
        pipeline_stages.stage_code,
        snapshot_timed.pipeline_id,
        case
            when pipeline_stages.pipeline_stage_rank = snapshot_timed.path_last_rank
                and snapshot_timed.stage_type <> 'lost'
                then snapshot_timed.entered_at
            when pipeline_stages.pipeline_stage_rank = 1
                and snapshot_timed.created_at <= coalesce(snapshot_timed.previous_entered_at, snapshot_timed.entered_at)
                then snapshot_timed.created_at
            when pipeline_stages.pipeline_stage_rank = snapshot_timed.path_last_rank
                or (
                    pipeline_stages.pipeline_stage_rank = snapshot_timed.path_last_rank - 1
                    and snapshot_timed.stage_type <> 'lost'
                )
                then coalesce(snapshot_timed.previous_entered_at, snapshot_timed.entered_at)
            else coalesce(snapshot_timed.previous_entered_at, snapshot_timed.entered_at)
        end as changed_at,
        true as is_inferred,
        case
            when pipeline_stages.pipeline_stage_rank = snapshot_timed.path_last_rank
                and snapshot_timed.stage_type <> 'lost'
                then snapshot_timed.is_entered_at_known
            when pipeline_stages.pipeline_stage_rank = 1
                and snapshot_timed.created_at <= coalesce(snapshot_timed.previous_entered_at, snapshot_timed.entered_at)
                then true
            when pipeline_stages.pipeline_stage_rank = snapshot_timed.path_last_rank
                or (
                    pipeline_stages.pipeline_stage_rank = snapshot_timed.path_last_rank - 1
                    and snapshot_timed.stage_type <> 'lost'
                )
                then snapshot_timed.is_entered_at_known and snapshot_timed.previous_entered_at is not null
            else false
        end as is_entry_time_known,
        snapshot_timed.source_load_id

    from snapshot_timed

    inner join pipeline_stages
        on
            snapshot_timed.stage_source = pipeline_stages.stage_source
            and snapshot_timed.pipeline_id = pipeline_stages.pipeline_id
            and snapshot_timed.path_last_rank >= pipeline_stages.pipeline_stage_rank

),

snapshot_lost as (

    select
        deal_id,
        source,
        source_stage,
        stage_code,
        pipeline_id,
        entered_at as changed_at,
        true as is_inferred,
        is_entered_at_known as is_entry_time_known,
        source_load_id

    from snapshot_timed

    where stage_type = 'lost'

),

snapshot_unmapped as (

    -- kept so unmapped stage values can be reported (int_deal_stage_events leaves them out)
    select
        deal_id,
        source,
        source_stage,
        cast(null as {{ string_type }}) as stage_code,
        pipeline_id,
        coalesce(cast(stage_entered_on as {{ ts }}), created_at) as changed_at,
        true as is_inferred,
        false as is_entry_time_known,
        source_load_id

    from snapshots

    where stage_code is null

),

unioned as (

    select
        deal_id,
        source,
        source_stage,
        stage_code,
        pipeline_id,
        changed_at,
        is_inferred,
        is_entry_time_known,
        source_load_id

    from recorded_mapped

    union all

    select * from snapshot_path

    union all

    select * from snapshot_lost

    union all

    select * from snapshot_unmapped

),

final as (

    select
        unioned.*,
        deals.deal_fingerprint,
        funnel_version.funnel_version

    from unioned

    inner join deals
        on unioned.deal_id = deals.deal_id

    cross join funnel_version

)

select * from final
