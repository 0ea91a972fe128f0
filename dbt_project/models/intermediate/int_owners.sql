{#- One row per owner (sales rep): CRM owners (int_owner_identities), and the spreadsheet names no CRM owner has.
    A CRM owner's team is their CRM team (HubSpot: primary team); a spreadsheet-only owner's team is the tracker's team (华东, 华南), else the team or office of an owner lookup
    sheet (entity owners, e.g. Maven's regional_office), which also gives the manager, office and region. -#}
with

identities as (

    select * from {{ ref('int_owner_identities') }}

),

owner_lookup as (

    -- owner lookup sheets (entity owners): manager, team, office, region by owner name
    select
        owner_name_key,
        min(manager_name) as manager_name,
        min(team_name) as team_name,
        min(office) as office,
        min(region) as region

    from {{ ref('stg_spreadsheets__owners') }}

    where owner_name_key is not null

    group by 1

),

ranked as (

    select
        *,
        row_number() over (
            partition by owner_id
            order by case when record_source = 'owner_name' then 1 else 0 end, record_key
        ) as owner_rank

    from identities

),

final as (

    select
        ranked.owner_id,
        ranked.owner_name,
        coalesce(ranked.team_name, owner_lookup.team_name, owner_lookup.office) as team_name,
        owner_lookup.manager_name,
        owner_lookup.office,
        owner_lookup.region,
        coalesce(ranked.owner_source, 'spreadsheet') as owner_source,
        case when ranked.owner_source = 'hubspot' then ranked.owner_source_id end as hubspot_owner_id,
        ranked.is_archived

    from ranked

    left join owner_lookup
        on {{ person_name_key('ranked.owner_name') }} = owner_lookup.owner_name_key

    where ranked.owner_rank = 1

)

select * from final
