{#- The deals of every YAML CRM in the canonical deal shape (macros/union_sources.sql), each row with its CRM's name
    as source_name, source and stage_source (funnel_stage_map's rows of source <name> read its stage labels); the
    company, the owner's name, the contact's hashed details joined within the same CRM; the channel in the shared
    `channel` vocabulary of channel_map; a deleted deal is archived. The stage was entered at the deal's last
    recorded move into it. -#}
with

deals as (

    select * from {{ ref('stg_rest_crm__deals') }}

),

changes as (

    select * from {{ ref('stg_rest_crm__deal_stage_changes') }}

),

owners as (

    select * from {{ ref('stg_rest_crm__owners') }}

),

companies as (

    select * from {{ ref('stg_rest_crm__companies') }}

),

people as (

    select * from {{ ref('stg_rest_crm__people') }}

),

stage_entries as (

    select
        changes.source_name,
        changes.deal_id,
        max(changes.changed_at) as entered_at

    from changes

    inner join deals
        on
            changes.source_name = deals.source_name
            and changes.deal_id = deals.deal_id
            and changes.stage_label = deals.stage_label

    group by 1, 2

),

final as (

    select
        deals.source_name,
        {{ dbt.concat(["deals.source_name", "':'", "deals.deal_id"]) }} as deal_id,
        deals.source_name as source,
        deals.source_name as stage_source,
        deals.deal_id as source_deal_id,
        deals.lead_id as source_lead_id,
        coalesce(deals.pipeline_id, 'default') as pipeline_id,
        deals.deal_name,
        deals.created_at,
        deals.stage_label as current_stage_value,
        cast(stage_entries.entered_at as date) as stage_entered_on,
        deals.closed_at,
        deals.amount,
        deals.currency_code,
        deals.owner_id as owner_source_id,
        owners.owner_name,
        owners.owner_name_key,
        owners.team_name as team_hint,
        deals.company_id as company_source_id,
        deals.contact_id as contact_source_id,
        companies.company_name,
        companies.company_name_key,
        companies.industry,
        cast(companies.employee_count as {{ dbt.type_string() }}) as company_size,
        people.email_hash as contact_email_hash,
        people.email_domain as contact_email_domain,
        people.phone_hash as contact_phone_hash,
        people.person_name_key as contact_name_key,
        'channel' as channel_field,
        deals.channel as channel_value,
        deals.loss_reason as loss_reason_text,
        deals.is_deleted as is_archived,
        case when deals.is_deleted then deals.modified_at end as archived_at,
        false as is_undated,
        deals.source_load_id

    from deals

    left join stage_entries
        on
            deals.source_name = stage_entries.source_name
            and deals.deal_id = stage_entries.deal_id

    left join owners
        on
            deals.source_name = owners.source_name
            and deals.owner_id = owners.owner_id

    left join companies
        on
            deals.source_name = companies.source_name
            and deals.company_id = companies.company_id

    left join people
        on
            deals.source_name = people.source_name
            and deals.contact_id = people.person_id

)

select * from final
