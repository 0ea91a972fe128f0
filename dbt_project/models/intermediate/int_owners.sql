{#- One row per owner (sales rep): HubSpot owners, and the spreadsheet names no HubSpot owner has. A HubSpot owner's
    team is their primary HubSpot team; a spreadsheet-only owner's team is the tracker's team (华东, 华南). -#}
with

identities as (

    select * from {{ ref('int_owner_identities') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by owner_id
            order by case when record_source = 'hubspot_owner' then 0 else 1 end, record_key
        ) as owner_rank

    from identities

),

final as (

    select
        owner_id,
        owner_name,
        team_name,
        case when hubspot_owner_id is not null then 'hubspot' else 'spreadsheet' end as owner_source,
        hubspot_owner_id,
        is_archived

    from ranked

    where owner_rank = 1

)

select * from final
