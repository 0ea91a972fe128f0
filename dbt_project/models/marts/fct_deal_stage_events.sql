{#- Incremental: a run re-derives all the events of a deal whenever anything about it changed, and replaces them
    (delete+insert on deal_id). A deal is re-derived when
      * it is new to the funnel, or back in it (the as-of day moved before its archiving), or
      * a source row of it was loaded since the last run (dlt load id), or
      * it has events after the newest one stored (the as-of day moved forward), or
      * it has stored events after the as-of day (the as-of day moved back), or
      * the funnel definition (funnel_stages, funnel_stage_map: funnel_version) changed: then every deal is.
    The post-hook removes deals that left the funnel (archived, unmapped, gone from their source). -#}
{{ config(
    materialized=entity_materialization(),
    unique_key='deal_id',
    incremental_strategy=entity_strategy(),
    on_schema_change='append_new_columns',
    post_hook=[drop_vanished('deal_id', 'fct_deals')]
) }}

with

events as (

    select * from {{ ref('int_deal_stage_events') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

in_funnel as (

    -- funnel_version: the funnel definition the events were derived with (int_deal_stage_changes)
    select events.*

    from events

    inner join deals
        on events.deal_id = deals.deal_id

),

{% if is_incremental() %}

changed_deals as (

    -- new to the funnel (also back in it: the as-of day moved before an archiving), loaded since or derived with
    -- another funnel definition
    {{ changed_entities('in_funnel', 'deal_id', ['deal_load_id', 'funnel_version']) }}

    union

    -- the as-of day moved: events past the newest one stored, or stored events past the day
    {{ moved_as_of_day('in_funnel', 'deal_id') }}

),

batch as (

    select in_funnel.*

    from in_funnel

    where in_funnel.deal_id in (select changed_deals.deal_id from changed_deals)

),

{% else %}

batch as (

    select * from in_funnel

),

{% endif %}

final as (

    select
        cast(stage_event_id as {{ dbt.type_string() }}) as stage_event_id,
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(event_sequence as {{ dbt.type_int() }}) as event_sequence,
        cast(from_stage_code as {{ dbt.type_string() }}) as from_stage_code,
        cast(to_stage_code as {{ dbt.type_string() }}) as to_stage_code,
        changed_at,
        cast(changed_at as date) as changed_date,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(stages_skipped as {{ dbt.type_int() }}) as stages_skipped,
        is_inferred,
        is_entry_time_known,
        exited_at,
        cast(days_in_stage as {{ dbt.type_int() }}) as days_in_stage,
        is_current_stage,
        cast(deal_load_id as {{ dbt.type_string() }}) as deal_load_id,
        cast(funnel_version as {{ dbt.type_string() }}) as funnel_version

    from batch

)

select * from final
