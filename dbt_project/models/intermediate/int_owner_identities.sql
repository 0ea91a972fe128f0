{#- Which owner (sales rep) a HubSpot owner id or a name written in a spreadsheet means. A spreadsheet name finds
    the HubSpot owner with that name in either order, without spaces or case (周文 = 周 + 文, "Ryan Han");
    a name no HubSpot owner has is an owner of its own, 'sheet:<name>'. -#}
with

hubspot_owners as (

    select * from {{ ref('stg_hubspot__owners') }}

),

tracker_deals as (

    select * from {{ ref('stg_spreadsheets__tracker_deals') }}

),

export_deals as (

    select * from {{ ref('stg_spreadsheets__export_deals') }}

),

sheet_records as (

    -- owners named by spreadsheet entries without `table:` (deals, leads and their attribute files)
    select
        owner_name,
        owner_name_key

    from {{ ref('stg_spreadsheets__deals') }}

    union all

    select
        owner_name,
        owner_name_key

    from {{ ref('stg_spreadsheets__leads') }}

    union all

    select
        owner_name,
        owner_name_key

    from {{ ref('stg_spreadsheets__deal_attributes') }}

    union all

    select
        owner_name,
        owner_name_key

    from {{ ref('stg_spreadsheets__lead_attributes') }}

),

hubspot_names as (

    select
        owner_name_key_surname_first as owner_name_key,
        hubspot_owner_id

    from hubspot_owners

    union all

    select
        owner_name_key_given_first as owner_name_key,
        hubspot_owner_id

    from hubspot_owners

),

hubspot_by_name as (

    select
        owner_name_key,
        min(hubspot_owner_id) as hubspot_owner_id

    from hubspot_names

    where owner_name_key is not null

    group by 1

),

sheet_names as (

    select
        owner_name_key,
        min(owner_name) as owner_name,
        min(team) as team_name

    from tracker_deals

    where owner_name_key is not null

    group by 1

    union all

    select
        owner_name_key,
        min(owner_name) as owner_name,
        cast(null as {{ dbt.type_string() }}) as team_name

    from export_deals

    where owner_name_key is not null

    group by 1

    union all

    select
        owner_name_key,
        min(owner_name) as owner_name,
        cast(null as {{ dbt.type_string() }}) as team_name

    from sheet_records

    where owner_name_key is not null

    group by 1

),

sheet_owners as (

    select
        owner_name_key,
        min(owner_name) as owner_name,
        min(team_name) as team_name

    from sheet_names

    group by 1

),

final as (

    select
        'hubspot_owner' as record_source,
        hubspot_owner_id as record_key,
        {{ dbt.concat(["'hubspot:'", "hubspot_owner_id"]) }} as owner_id,
        owner_name,
        primary_team_name as team_name,
        hubspot_owner_id,
        is_archived

    from hubspot_owners

    union all

    select
        'owner_name' as record_source,
        sheet_owners.owner_name_key as record_key,
        case
            when hubspot_by_name.hubspot_owner_id is not null
                then {{ dbt.concat(["'hubspot:'", "hubspot_by_name.hubspot_owner_id"]) }}
            else {{ dbt.concat(["'sheet:'", "sheet_owners.owner_name_key"]) }}
        end as owner_id,
        sheet_owners.owner_name,
        sheet_owners.team_name,
        hubspot_by_name.hubspot_owner_id,
        false as is_archived

    from sheet_owners

    left join hubspot_by_name
        on sheet_owners.owner_name_key = hubspot_by_name.owner_name_key

)

select * from final
