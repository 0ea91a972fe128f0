-- Deals in fct_deals = deals loaded raw (raw_hubspot.deals + raw_spreadsheets.tracker_deals +
-- raw_spreadsheets.export_deals + raw_spreadsheets.deals per mapping entry; rows ingestion quarantined never reach them) minus the deals int_deals excludes
-- (archived in HubSpot, unmapped stage, created after the as-of day). Returns the sources where this does not hold.
{{ config(meta={'dagster': {'ref': {'name': 'fct_deals'}}}) }}

with

raw_hubspot_deals as (

    {{ select_source_columns(source('hubspot', 'deals'), {'id': 'string'}) }}

),

raw_tracker_deals as (

    {{ select_source_columns(source('spreadsheets', 'tracker_deals'), {'customer_name': 'string'}) }}

),

raw_export_deals as (

    {{ select_source_columns(source('spreadsheets', 'export_deals'), {'deal_id': 'string'}) }}

),

raw_sheet_deals as (

    {{ select_source_columns(source('spreadsheets', 'deals'), {'source_name': 'string'}) }}

),

raw_counts as (

    select
        'hubspot' as source,
        count(*) as raw_deals

    from raw_hubspot_deals

    union all

    select
        'tracker_cn' as source,
        count(*) as raw_deals

    from raw_tracker_deals

    union all

    select
        'export_en' as source,
        count(*) as raw_deals

    from raw_export_deals

    union all

    select
        source_name as source,
        count(*) as raw_deals

    from raw_sheet_deals

    group by 1

),

excluded as (

    select
        source,
        count(*) as excluded_deals

    from {{ ref('int_deals') }}

    where exclusion_reason is not null

    group by 1

),

in_funnel as (

    select
        source,
        count(*) as funnel_deals

    from {{ ref('fct_deals') }}

    group by 1

),

compared as (

    select
        raw_counts.source,
        raw_counts.raw_deals,
        coalesce(excluded.excluded_deals, 0) as excluded_deals,
        coalesce(in_funnel.funnel_deals, 0) as funnel_deals

    from raw_counts

    left join excluded
        on raw_counts.source = excluded.source

    left join in_funnel
        on raw_counts.source = in_funnel.source

)

select * from compared

where raw_deals - excluded_deals <> funnel_deals
