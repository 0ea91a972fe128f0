{#- HubSpot deals in the canonical deal shape (macros/union_sources.sql): the deal with its primary company and
    contact (the first association of each type) and that contact's hashed details. -#}
with

hubspot_deals as (

    select * from {{ ref('stg_hubspot__deals') }}

),

hubspot_deal_associations as (

    select * from {{ ref('stg_hubspot__deal_associations') }}

),

hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

ranked_associations as (

    select
        hubspot_deal_id,
        to_object_type,
        to_object_id,
        row_number() over (
            partition by hubspot_deal_id, to_object_type
            order by association_position, to_object_id
        ) as association_rank

    from hubspot_deal_associations

),

primary_company as (

    select
        hubspot_deal_id,
        to_object_id as hubspot_company_id

    from ranked_associations

    where to_object_type = 'companies' and association_rank = 1

),

primary_contact as (

    select
        hubspot_deal_id,
        to_object_id as hubspot_contact_id

    from ranked_associations

    where to_object_type = 'contacts' and association_rank = 1

),

final as (

    select
        {{ dbt.concat(["'hubspot:'", "hubspot_deals.hubspot_deal_id"]) }} as deal_id,
        'hubspot' as source,
        'hubspot' as stage_source,
        hubspot_deals.hubspot_deal_id as source_deal_id,
        hubspot_deals.pipeline_id,
        hubspot_deals.deal_name,
        hubspot_deals.created_at,
        hubspot_deals.deal_stage_id as current_stage_value,
        hubspot_deals.closed_at,
        hubspot_deals.amount,
        coalesce(hubspot_deals.currency_code, 'CNY') as currency_code,
        hubspot_deals.hubspot_owner_id as owner_source_id,
        primary_company.hubspot_company_id as company_source_id,
        primary_contact.hubspot_contact_id as contact_source_id,
        hubspot_contacts.email_hash as contact_email_hash,
        hubspot_contacts.email_domain as contact_email_domain,
        hubspot_contacts.phone_hash as contact_phone_hash,
        hubspot_contacts.contact_name_key,
        'hs_analytics_source' as channel_field,
        coalesce(hubspot_deals.analytics_source, hubspot_contacts.analytics_source) as channel_value,
        hubspot_deals.closed_lost_reason as loss_reason_text,
        hubspot_deals.is_archived,
        hubspot_deals.archived_at,
        false as is_undated,
        hubspot_deals.source_load_id

    from hubspot_deals

    left join primary_company
        on hubspot_deals.hubspot_deal_id = primary_company.hubspot_deal_id

    left join primary_contact
        on hubspot_deals.hubspot_deal_id = primary_contact.hubspot_deal_id

    left join hubspot_contacts
        on primary_contact.hubspot_contact_id = hubspot_contacts.hubspot_contact_id

)

select * from final
