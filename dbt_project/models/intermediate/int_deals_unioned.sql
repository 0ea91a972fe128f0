{#- One row per deal loaded raw, from the places deals live (HubSpot, the trackers, the export, and every deals
    entry of mapping.yaml without `table:`, known by its entry name as source), in one shape. Nothing is filtered here:
    archived, unmapped or later-than-as-of deals are flagged downstream (int_deals.exclusion_reason).
    deal_fingerprint: a hash of every other column, so the incremental models downstream re-derive a deal exactly
    when its row changed (macros/incremental.sql). -#}
{%- set string_type = dbt.type_string() -%}
{%- set fingerprinted = [
    'source', 'stage_source', 'source_deal_id', 'source_lead_id', 'pipeline_id', 'deal_name', 'created_at',
    'current_stage_value', 'ingested_stage_code', 'stage_entered_on', 'previous_stage_days', 'key_action_count',
    'closed_at', 'amount', 'currency_code', 'hubspot_owner_id', 'owner_name', 'owner_name_key', 'team_hint',
    'hubspot_company_id', 'hubspot_contact_id', 'company_name', 'company_name_key', 'industry', 'company_size',
    'contact_email_hash', 'contact_email_domain', 'contact_phone_hash', 'contact_name_key', 'channel_field',
    'channel_value', 'loss_reason_text', 'is_archived', 'archived_at', 'segment', 'lead_type', 'product',
    'declared_revenue', 'is_undated', 'lost_from_stage_code', 'source_load_id'
] -%}
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

tracker_deals as (

    select * from {{ ref('stg_spreadsheets__tracker_deals') }}

),

export_deals as (

    select * from {{ ref('stg_spreadsheets__export_deals') }}

),

sheet_deals as (

    select * from {{ ref('stg_spreadsheets__deals') }}

),

sheet_leads as (

    select * from {{ ref('stg_spreadsheets__leads') }}

),

sheet_deal_attributes as (

    select * from {{ ref('stg_spreadsheets__deal_attributes') }}

),

sheet_stage_dates as (

    select * from {{ ref('stg_spreadsheets__deal_stage_dates') }}

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

hubspot_primary_company as (

    select
        hubspot_deal_id,
        to_object_id as hubspot_company_id

    from ranked_associations

    where to_object_type = 'companies' and association_rank = 1

),

hubspot_primary_contact as (

    select
        hubspot_deal_id,
        to_object_id as hubspot_contact_id

    from ranked_associations

    where to_object_type = 'contacts' and association_rank = 1

),

hubspot as (

    select
        {{ dbt.concat(["'hubspot:'", "hubspot_deals.hubspot_deal_id"]) }} as deal_id,
        'hubspot' as source,
        'hubspot' as stage_source,
        hubspot_deals.hubspot_deal_id as source_deal_id,
        cast(null as {{ string_type }}) as source_lead_id,
        hubspot_deals.pipeline_id,
        hubspot_deals.deal_name,
        hubspot_deals.created_at,
        hubspot_deals.deal_stage_id as current_stage_value,
        cast(null as {{ string_type }}) as ingested_stage_code,
        cast(null as date) as stage_entered_on,
        cast(null as {{ dbt.type_int() }}) as previous_stage_days,
        cast(null as {{ dbt.type_int() }}) as key_action_count,
        hubspot_deals.closed_at,
        hubspot_deals.amount,
        coalesce(hubspot_deals.currency_code, 'CNY') as currency_code,
        hubspot_deals.hubspot_owner_id,
        cast(null as {{ string_type }}) as owner_name,
        cast(null as {{ string_type }}) as owner_name_key,
        cast(null as {{ string_type }}) as team_hint,
        hubspot_primary_company.hubspot_company_id,
        hubspot_primary_contact.hubspot_contact_id,
        cast(null as {{ string_type }}) as company_name,
        cast(null as {{ string_type }}) as company_name_key,
        cast(null as {{ string_type }}) as industry,
        cast(null as {{ string_type }}) as company_size,
        hubspot_contacts.email_hash as contact_email_hash,
        hubspot_contacts.email_domain as contact_email_domain,
        hubspot_contacts.phone_hash as contact_phone_hash,
        hubspot_contacts.contact_name_key,
        'hs_analytics_source' as channel_field,
        coalesce(hubspot_deals.analytics_source, hubspot_contacts.analytics_source) as channel_value,
        hubspot_deals.closed_lost_reason as loss_reason_text,
        hubspot_deals.is_archived,
        hubspot_deals.archived_at,
        cast(null as {{ string_type }}) as segment,
        cast(null as {{ string_type }}) as lead_type,
        cast(null as {{ string_type }}) as product,
        cast(null as {{ dbt.type_numeric() }}) as declared_revenue,
        false as is_undated,
        cast(null as {{ string_type }}) as lost_from_stage_code,
        hubspot_deals.source_load_id

    from hubspot_deals

    left join hubspot_primary_company
        on hubspot_deals.hubspot_deal_id = hubspot_primary_company.hubspot_deal_id

    left join hubspot_primary_contact
        on hubspot_deals.hubspot_deal_id = hubspot_primary_contact.hubspot_deal_id

    left join hubspot_contacts
        on hubspot_primary_contact.hubspot_contact_id = hubspot_contacts.hubspot_contact_id

),

tracker as (

    select
        {{ dbt.concat(["'tracker_cn:'", "tracker_deal_id"]) }} as deal_id,
        'tracker_cn' as source,
        'tracker_cn' as stage_source,
        tracker_deal_id as source_deal_id,
        cast(null as {{ string_type }}) as source_lead_id,
        'default' as pipeline_id,
        customer_name as deal_name,
        cast(null as {{ dbt.type_timestamp() }}) as created_at,
        stage_raw as current_stage_value,
        ingested_stage_code,
        stage_entered_on,
        previous_stage_days,
        -- the rep's log holds one dated note per stage entered, separated by ；
        case
            when key_actions is not null
                then length(key_actions) - length(replace(key_actions, '；', '')) + 1
        end as key_action_count,
        cast(null as {{ dbt.type_timestamp() }}) as closed_at,
        amount_cny as amount,
        'CNY' as currency_code,
        cast(null as {{ string_type }}) as hubspot_owner_id,
        owner_name,
        owner_name_key,
        team as team_hint,
        cast(null as {{ string_type }}) as hubspot_company_id,
        cast(null as {{ string_type }}) as hubspot_contact_id,
        customer_name as company_name,
        customer_name_key as company_name_key,
        industry,
        company_size,
        cast(null as {{ string_type }}) as contact_email_hash,
        cast(null as {{ string_type }}) as contact_email_domain,
        contact_phone_hash,
        contact_name_key,
        cast(null as {{ string_type }}) as channel_field,
        cast(null as {{ string_type }}) as channel_value,
        cast(null as {{ string_type }}) as loss_reason_text,
        false as is_archived,
        cast(null as {{ dbt.type_timestamp() }}) as archived_at,
        cast(null as {{ string_type }}) as segment,
        cast(null as {{ string_type }}) as lead_type,
        cast(null as {{ string_type }}) as product,
        cast(null as {{ dbt.type_numeric() }}) as declared_revenue,
        false as is_undated,
        cast(null as {{ string_type }}) as lost_from_stage_code,
        source_load_id

    from tracker_deals

),

export as (

    select
        {{ dbt.concat(["'export_en:'", "export_deal_id"]) }} as deal_id,
        'export_en' as source,
        'export_en' as stage_source,
        export_deal_id as source_deal_id,
        cast(null as {{ string_type }}) as source_lead_id,
        'default' as pipeline_id,
        account_name as deal_name,
        cast(created_on as {{ dbt.type_timestamp() }}) as created_at,
        stage_raw as current_stage_value,
        ingested_stage_code,
        stage_entered_on,
        cast(null as {{ dbt.type_int() }}) as previous_stage_days,
        cast(null as {{ dbt.type_int() }}) as key_action_count,
        cast(null as {{ dbt.type_timestamp() }}) as closed_at,
        amount_cny as amount,
        'CNY' as currency_code,
        cast(null as {{ string_type }}) as hubspot_owner_id,
        owner_name,
        owner_name_key,
        cast(null as {{ string_type }}) as team_hint,
        cast(null as {{ string_type }}) as hubspot_company_id,
        cast(null as {{ string_type }}) as hubspot_contact_id,
        account_name as company_name,
        account_name_key as company_name_key,
        industry,
        company_size,
        contact_email_hash,
        contact_email_domain,
        contact_phone_hash,
        contact_name_key,
        'channel' as channel_field,
        channel as channel_value,
        lost_reason as loss_reason_text,
        false as is_archived,
        cast(null as {{ dbt.type_timestamp() }}) as archived_at,
        cast(null as {{ string_type }}) as segment,
        cast(null as {{ string_type }}) as lead_type,
        cast(null as {{ string_type }}) as product,
        cast(null as {{ dbt.type_numeric() }}) as declared_revenue,
        false as is_undated,
        cast(null as {{ string_type }}) as lost_from_stage_code,
        source_load_id

    from export_deals

),

attributes as (

    {{ attributes_by_record('sheet_deal_attributes', 'deal_id') }}

),

stage_dates as (

    select distinct
        source_name,
        deal_id

    from sheet_stage_dates

),

sheet_lead_ranks as (

    select
        lead_id,
        created_at,
        row_number() over (partition by lead_id order by created_at, source_name) as lead_rank

    from sheet_leads

),

sheets as (

    -- every `entity: deals` mapping entry without `table:`, known by its entry name; a deal without its own
    -- creation day was created when the spreadsheet lead it names came in (e.g. Olist first_contact_date)
    select
        {{ dbt.concat(["sheet_deals.source_name", "':'", "sheet_deals.deal_id"]) }} as deal_id,
        sheet_deals.source_name as source,
        sheet_deals.stage_source,
        sheet_deals.deal_id as source_deal_id,
        sheet_deals.lead_id as source_lead_id,
        'default' as pipeline_id,
        coalesce(sheet_deals.deal_name, sheet_deals.deal_id) as deal_name,
        case
            when sheet_deals.created_on is not null then cast(sheet_deals.created_on as {{ dbt.type_timestamp() }})
            when sheet_lead_ranks.created_at is not null then sheet_lead_ranks.created_at
            -- no date at all (early pipeline): in the funnel as of the as-of day, left out of time-based measures
            when sheet_deals.stage_entered_on is null and stage_dates.deal_id is null
                then cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
        end as created_at,
        sheet_deals.stage_raw as current_stage_value,
        sheet_deals.ingested_stage_code,
        sheet_deals.stage_entered_on,
        cast(null as {{ dbt.type_int() }}) as previous_stage_days,
        cast(null as {{ dbt.type_int() }}) as key_action_count,
        cast(null as {{ dbt.type_timestamp() }}) as closed_at,
        sheet_deals.amount,
        sheet_deals.currency_code,
        cast(null as {{ string_type }}) as hubspot_owner_id,
        coalesce(sheet_deals.owner_name, attributes.owner_name) as owner_name,
        coalesce(sheet_deals.owner_name_key, attributes.owner_name_key) as owner_name_key,
        cast(null as {{ string_type }}) as team_hint,
        cast(null as {{ string_type }}) as hubspot_company_id,
        cast(null as {{ string_type }}) as hubspot_contact_id,
        sheet_deals.account_name as company_name,
        sheet_deals.account_name_key as company_name_key,
        coalesce(sheet_deals.industry, attributes.industry) as industry,
        coalesce(sheet_deals.company_size, attributes.company_size) as company_size,
        sheet_deals.contact_email_hash,
        sheet_deals.contact_email_domain,
        sheet_deals.contact_phone_hash,
        sheet_deals.contact_name_key,
        sheet_deals.channel_field,
        sheet_deals.channel as channel_value,
        sheet_deals.lost_reason as loss_reason_text,
        false as is_archived,
        cast(null as {{ dbt.type_timestamp() }}) as archived_at,
        coalesce(sheet_deals.segment, attributes.segment) as segment,
        coalesce(sheet_deals.lead_type, attributes.lead_type) as lead_type,
        coalesce(sheet_deals.product, attributes.product) as product,
        coalesce(sheet_deals.declared_revenue, attributes.declared_revenue) as declared_revenue,
        (
            sheet_deals.created_on is null and sheet_lead_ranks.created_at is null
            and sheet_deals.stage_entered_on is null and stage_dates.deal_id is null
        ) as is_undated,
        sheet_deals.lost_from_stage_code,
        sheet_deals.source_load_id

    from sheet_deals

    left join sheet_lead_ranks
        on
            sheet_deals.lead_id = sheet_lead_ranks.lead_id
            and sheet_lead_ranks.lead_rank = 1

    left join attributes
        on
            sheet_deals.source_name = attributes.attribute_of
            and sheet_deals.deal_id = attributes.deal_id

    left join stage_dates
        on
            sheet_deals.source_name = stage_dates.source_name
            and sheet_deals.deal_id = stage_dates.deal_id

),

unioned as (

    select * from hubspot
    union all
    select * from tracker
    union all
    select * from export
    union all
    select * from sheets

),

final as (

    select
        *,
        {{ row_fingerprint(fingerprinted) }} as deal_fingerprint

    from unioned

)

select * from final
