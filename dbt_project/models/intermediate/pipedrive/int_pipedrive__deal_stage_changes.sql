{#- Pipedrive's stage moves (the stage_id entries of each deal's changelog) by stage name, in the canonical
    stage-change shape (macros/union_sources.sql), each with the stage it left; then, for a deal now won or lost, its
    entry into won or lost at won_time / lost_time (a status, not a stage, in Pipedrive; funnel_stage_map reads the
    status). A deal reopened after it was won or lost shows only where it is now. -#}
with

changes as (

    select * from {{ ref('stg_pipedrive__deal_stage_changes') }}

),

deals as (

    select * from {{ ref('stg_pipedrive__deals') }}

),

stages as (

    select * from {{ ref('stg_pipedrive__stages') }}

),

moves as (

    select
        changes.deal_id,
        to_stages.stage_name as source_stage,
        from_stages.stage_name as from_source_stage,
        changes.changed_at,
        changes.change_order,
        changes.source_load_id

    from changes

    left join stages as to_stages
        on changes.to_stage_id = to_stages.stage_id

    left join stages as from_stages
        on changes.from_stage_id = from_stages.stage_id

),

last_moves as (

    select
        deal_id,
        max(change_order) as change_order

    from moves

    group by deal_id

),

closings as (

    select
        deals.deal_id,
        deals.deal_status as source_stage,
        stages.stage_name as from_source_stage,
        case when deals.deal_status = 'won' then deals.won_at else deals.lost_at end as changed_at,
        coalesce(last_moves.change_order, 0) + 1 as change_order,
        deals.source_load_id

    from deals

    left join stages
        on deals.stage_id = stages.stage_id

    left join last_moves
        on deals.deal_id = last_moves.deal_id

    where
        (deals.deal_status = 'won' and deals.won_at is not null)
        or (deals.deal_status = 'lost' and deals.lost_at is not null)

),

all_changes as (

    select * from moves
    union all
    select * from closings

),

final as (

    select
        {{ dbt.concat(["'pipedrive:'", "cast(deal_id as " ~ dbt.type_string() ~ ")"]) }} as deal_id,
        source_stage,
        from_source_stage,
        changed_at,
        change_order,
        source_load_id

    from all_changes

)

select * from final
