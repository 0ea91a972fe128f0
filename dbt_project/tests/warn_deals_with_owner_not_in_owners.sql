-- Warns about deals in the funnel whose owner is not in the owners list (HubSpot owners, the owner names of the
-- spreadsheets): they are counted under dim_owner's member 'unknown' in every mart, not dropped, and the build goes
-- on. Returns each deal with the owner its source names; fix the owner in the source (or add it to HubSpot).
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_deals'}}}) }}

with

deals as (

    select * from {{ ref('int_deals') }}

),

owners as (

    select * from {{ ref('int_owners') }}

)

select
    deals.deal_id,
    deals.source,
    deals.owner_id as missing_owner_id

from deals

left join owners
    on deals.owner_id = owners.owner_id

where
    deals.exclusion_reason is null
    and deals.owner_id is not null
    and owners.owner_id is null
