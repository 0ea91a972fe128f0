{#- Zoho deals in the canonical deal shape (macros/union_sources.sql): Stage read through funnel_stage_map (source
    zoho), closed when its pipeline stage's forecast type is Closed Won or Closed Lost (on Closing_Date), the account
    as company, the owner's name, the contact's hashed details, Lead_Source as channel, Reason_For_Loss__s as loss
    reason, the lead converted into the deal as its lead; a deleted deal is archived at its deletion. The stage was
    entered at the deal's last Stage_History move into it. -#}
with

deals as (

    select * from {{ ref('stg_zoho__deals') }}

),

history as (

    select * from {{ ref('stg_zoho__deal_stage_history') }}

),

stages as (

    select * from {{ ref('stg_zoho__stages') }}

),

accounts as (

    select * from {{ ref('stg_zoho__accounts') }}

),

contacts as (

    select * from {{ ref('stg_zoho__contacts') }}

),

leads as (

    select * from {{ ref('stg_zoho__leads') }}

),

users as (

    select * from {{ ref('stg_zoho__users') }}

),

stage_entries as (

    select
        history.deal_id,
        max(history.changed_at) as entered_at

    from history

    inner join deals
        on
            history.deal_id = deals.deal_id
            and history.stage_name = deals.stage_name

    group by 1

),

converted_leads as (

    select
        converted_deal_id as deal_id,
        min(lead_id) as lead_id

    from leads

    where converted_deal_id is not null

    group by 1

),

final as (

    select
        {{ dbt.concat(["'zoho:'", "deals.deal_id"]) }} as deal_id,
        'zoho' as source,
        'zoho' as stage_source,
        deals.deal_id as source_deal_id,
        converted_leads.lead_id as source_lead_id,
        coalesce(deals.pipeline_id, 'default') as pipeline_id,
        deals.deal_name,
        deals.created_at,
        deals.stage_name as current_stage_value,
        cast(stage_entries.entered_at as date) as stage_entered_on,
        case
            when stages.forecast_type in ('Closed Won', 'Closed Lost')
                then cast(deals.closing_date as {{ dbt.type_timestamp() }})
        end as closed_at,
        deals.amount,
        deals.currency_code,
        deals.owner_id as owner_source_id,
        users.user_name as owner_name,
        users.user_name_key as owner_name_key,
        deals.account_id as company_source_id,
        deals.contact_id as contact_source_id,
        accounts.account_name as company_name,
        accounts.company_name_key,
        accounts.industry,
        cast(accounts.employee_count as {{ dbt.type_string() }}) as company_size,
        contacts.email_hash as contact_email_hash,
        contacts.email_domain as contact_email_domain,
        contacts.phone_hash as contact_phone_hash,
        contacts.contact_name_key,
        'Lead_Source' as channel_field,
        deals.lead_source as channel_value,
        deals.loss_reason as loss_reason_text,
        deals.is_deleted as is_archived,
        deals.deleted_at as archived_at,
        false as is_undated,
        deals.source_load_id

    from deals

    left join stage_entries
        on deals.deal_id = stage_entries.deal_id

    left join stages
        on
            deals.pipeline_id = stages.pipeline_id
            and deals.stage_name = stages.stage_value

    left join converted_leads
        on deals.deal_id = converted_leads.deal_id

    left join accounts
        on deals.account_id = accounts.account_id

    left join contacts
        on deals.contact_id = contacts.contact_id

    left join users
        on deals.owner_id = users.user_id

)

select * from final
