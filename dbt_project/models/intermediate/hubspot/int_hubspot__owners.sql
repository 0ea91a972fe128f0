{#- HubSpot owners in the canonical owner shape (macros/union_sources.sql): no email, the name keys both ways round
    for matching spreadsheet names. -#}
with

hubspot_owners as (

    select * from {{ ref('stg_hubspot__owners') }}

),

final as (

    select
        {{ dbt.concat(["'hubspot:'", "hubspot_owner_id"]) }} as owner_id,
        hubspot_owner_id as owner_source_id,
        owner_name,
        primary_team_name as team_name,
        owner_name_key_surname_first,
        owner_name_key_given_first,
        is_archived

    from hubspot_owners

)

select * from final
