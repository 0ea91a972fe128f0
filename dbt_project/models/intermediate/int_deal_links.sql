{#- What each deal links to in the identity and lead models: its owner, company, contact person and channel (every
    deal of int_deals_unioned, each run). Kept apart from int_deals so that each is one bounded step for the
    warehouse: at a million deals the joins below, inside int_deals, did not fit DuckDB's 1 GB memory limit.

    Owner: the CRM's owner id (<source>:<owner_source_id>), else the spreadsheet owner name's identity. Company: the
    deal's own company identity, else its CRM company's (record_source <source>_company). Person: the spreadsheet
    lead the deal names (lead_id), else the deal's own person identity, else its first CRM contact's
    (<source>_contact). Channel: the source's own (channel_map: HubSpot's
    hs_analytics_source of the deal, else of its first contact; the export's Channel), else the first-touch channel
    of the deal's person (int_leads), else 'other'; channel_matched_by says which. A spreadsheet deal that names its
    lead is that lead's person, so it takes the lead's channel. -#}
with

all_deals as (

    select * from {{ ref('int_deals_unioned') }}

),

person_identities as (

    select * from {{ ref('int_person_identities') }}

),

company_identities as (

    select * from {{ ref('int_company_identities') }}

),

owner_identities as (

    select * from {{ ref('int_owner_identities') }}

),

leads as (

    select * from {{ ref('int_leads') }}

),

channel_map as (

    select * from {{ ref('channel_map') }}

),

sheet_leads as (

    -- the spreadsheet lead a spreadsheet deal names (deal's lead_id = the lead's id in its sheet)
    select
        source_lead_id,
        person_id,
        row_number() over (partition by source_lead_id order by created_at, lead_id) as lead_rank

    from leads

    where lead_source = 'spreadsheets'

),

first_touch as (

    select
        person_id,
        channel_code

    from leads

    where is_first_touch and person_id is not null

),

final as (

    select
        all_deals.deal_id,
        case
            when all_deals.owner_source_id is not null
                then {{ dbt.concat(["all_deals.source", "':'", "all_deals.owner_source_id"]) }}
            else owner_identities.owner_id
        end as owner_id,
        coalesce(deal_company.company_id, crm_company.company_id) as company_id,
        coalesce(sheet_leads.person_id, deal_person.person_id, crm_person.person_id) as person_id,
        coalesce(by_source.channel_code, first_touch.channel_code, 'other') as channel_code,
        case
            when by_source.channel_code is not null then 'source'
            when first_touch.channel_code is not null then 'first_touch'
            else 'none'
        end as channel_matched_by

    from all_deals

    left join owner_identities
        on
            owner_identities.record_source = 'owner_name'
            and all_deals.owner_name_key = owner_identities.record_key

    left join company_identities as deal_company
        on
            all_deals.source = deal_company.record_source
            and all_deals.source_deal_id = deal_company.record_id

    left join company_identities as crm_company
        on
            {{ dbt.concat(["all_deals.source", "'_company'"]) }} = crm_company.record_source
            and all_deals.company_source_id = crm_company.record_id

    left join person_identities as deal_person
        on
            all_deals.source = deal_person.record_source
            and all_deals.source_deal_id = deal_person.record_id

    left join person_identities as crm_person
        on
            {{ dbt.concat(["all_deals.source", "'_contact'"]) }} = crm_person.record_source
            and all_deals.contact_source_id = crm_person.record_id

    left join channel_map as by_source
        on
            all_deals.channel_field = by_source.source_field
            and {{ lookup_key('all_deals.channel_value') }} = {{ lookup_key('by_source.source_value') }}

    left join sheet_leads
        on
            all_deals.source_lead_id = sheet_leads.source_lead_id
            and sheet_leads.lead_rank = 1

    left join first_touch
        on
            coalesce(sheet_leads.person_id, deal_person.person_id, crm_person.person_id)
            = first_touch.person_id

)

select * from final
