{#- The deals of every `entity: deals` entry of mapping.yaml without `table:` in the canonical deal shape
    (macros/union_sources.sql), known by the entry name as source, with the entry's attribute sheets folded in.
    A deal without its own creation day was created when the spreadsheet lead it names came in (e.g. Olist
    first_contact_date). -#}
with

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

final as (

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
        sheet_deals.amount,
        sheet_deals.currency_code,
        coalesce(sheet_deals.owner_name, attributes.owner_name) as owner_name,
        coalesce(sheet_deals.owner_name_key, attributes.owner_name_key) as owner_name_key,
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

)

select * from final
