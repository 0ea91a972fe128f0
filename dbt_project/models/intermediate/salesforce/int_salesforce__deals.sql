{#- Salesforce opportunities in the canonical deal shape (macros/union_sources.sql): StageName read through
    funnel_stage_map (source salesforce), the account as company, the owner's name, the primary contact's hashed
    details; a deleted opportunity (IsDeleted) is archived. An org without multi-currency writes no CurrencyIsoCode:
    the owner's default currency is the amount's then. -#}
with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

accounts as (

    select * from {{ ref('stg_salesforce__accounts') }}

),

contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}

),

users as (

    select * from {{ ref('stg_salesforce__users') }}

),

final as (

    select
        {{ dbt.concat(["'salesforce:'", "opportunities.opportunity_id"]) }} as deal_id,
        'salesforce' as source,
        'salesforce' as stage_source,
        opportunities.opportunity_id as source_deal_id,
        'default' as pipeline_id,
        opportunities.opportunity_name as deal_name,
        opportunities.created_at,
        opportunities.stage_name as current_stage_value,
        cast(opportunities.stage_changed_at as date) as stage_entered_on,
        case
            when opportunities.is_closed then cast(opportunities.close_date as {{ dbt.type_timestamp() }})
        end as closed_at,
        opportunities.amount,
        coalesce(opportunities.currency_code, users.default_currency_code) as currency_code,
        opportunities.owner_id as owner_source_id,
        users.user_name as owner_name,
        users.user_name_key as owner_name_key,
        opportunities.account_id as company_source_id,
        opportunities.contact_id as contact_source_id,
        accounts.account_name as company_name,
        accounts.company_name_key,
        accounts.industry,
        cast(accounts.employee_count as {{ dbt.type_string() }}) as company_size,
        contacts.email_hash as contact_email_hash,
        contacts.email_domain as contact_email_domain,
        contacts.phone_hash as contact_phone_hash,
        contacts.contact_name_key,
        'LeadSource' as channel_field,
        opportunities.lead_source as channel_value,
        opportunities.loss_reason as loss_reason_text,
        opportunities.is_deleted as is_archived,
        case when opportunities.is_deleted then opportunities.modified_at end as archived_at,
        false as is_undated,
        opportunities.source_load_id

    from opportunities

    left join accounts
        on opportunities.account_id = accounts.account_id

    left join contacts
        on opportunities.contact_id = contacts.contact_id

    left join users
        on opportunities.owner_id = users.user_id

)

select * from final
