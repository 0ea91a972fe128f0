{#- Pipedrive deals in the canonical deal shape (macros/union_sources.sql): an open deal is at its stage's name, a won
    or lost one at its status (funnel_stage_map, source pipedrive, keys both); the organization as company, the
    owner's name, the person's hashed details; a deleted deal is archived. -#}
with

deals as (

    select * from {{ ref('stg_pipedrive__deals') }}

),

stages as (

    select * from {{ ref('stg_pipedrive__stages') }}

),

organizations as (

    select * from {{ ref('stg_pipedrive__organizations') }}

),

persons as (

    select * from {{ ref('stg_pipedrive__persons') }}

),

users as (

    select * from {{ ref('stg_pipedrive__users') }}

),

final as (

    select
        {{ dbt.concat(["'pipedrive:'", "cast(deals.deal_id as " ~ dbt.type_string() ~ ")"]) }} as deal_id,
        'pipedrive' as source,
        'pipedrive' as stage_source,
        cast(deals.deal_id as {{ dbt.type_string() }}) as source_deal_id,
        cast(deals.pipeline_id as {{ dbt.type_string() }}) as pipeline_id,
        deals.deal_title as deal_name,
        deals.created_at,
        case when deals.deal_status in ('won', 'lost') then deals.deal_status else stages.stage_name end
            as current_stage_value,
        cast(deals.stage_changed_at as date) as stage_entered_on,
        deals.closed_at,
        deals.amount,
        deals.currency_code,
        cast(deals.owner_id as {{ dbt.type_string() }}) as owner_source_id,
        users.user_name as owner_name,
        users.user_name_key as owner_name_key,
        cast(deals.organization_id as {{ dbt.type_string() }}) as company_source_id,
        cast(deals.person_id as {{ dbt.type_string() }}) as contact_source_id,
        organizations.organization_name as company_name,
        organizations.company_name_key,
        persons.email_hash as contact_email_hash,
        persons.email_domain as contact_email_domain,
        persons.phone_hash as contact_phone_hash,
        persons.person_name_key as contact_name_key,
        deals.lost_reason as loss_reason_text,
        deals.is_deleted as is_archived,
        case when deals.is_deleted then deals.modified_at end as archived_at,
        false as is_undated,
        deals.source_load_id

    from deals

    left join stages
        on deals.stage_id = stages.stage_id

    left join organizations
        on deals.organization_id = organizations.organization_id

    left join persons
        on deals.person_id = persons.person_id

    left join users
        on deals.owner_id = users.user_id

)

select * from final
