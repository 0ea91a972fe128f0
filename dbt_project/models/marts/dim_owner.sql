{#- The owners of int_owners, plus one member 'unknown' (owner_id, name and team 'unknown', owner_source unknown):
    fct_deals points a deal at it when the deal has no owner or its owner is not in the owners list (the warn test
    warn_deals_with_owner_not_in_owners lists those), so every deal is counted under an owner that exists. -#}
with

owners as (

    select * from {{ ref('int_owners') }}

),

known as (

    select
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(owner_name as {{ dbt.type_string() }}) as owner_name,
        cast(coalesce(team_name, 'unknown') as {{ dbt.type_string() }}) as team_name,
        cast(manager_name as {{ dbt.type_string() }}) as manager_name,
        cast(office as {{ dbt.type_string() }}) as office,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(owner_source as {{ dbt.type_string() }}) as owner_source,
        cast(hubspot_owner_id as {{ dbt.type_string() }}) as hubspot_owner_id,
        is_archived

    from owners

),

unknown_member as (

    select
        cast('unknown' as {{ dbt.type_string() }}) as owner_id,
        cast('unknown' as {{ dbt.type_string() }}) as owner_name,
        cast('unknown' as {{ dbt.type_string() }}) as team_name,
        cast(null as {{ dbt.type_string() }}) as manager_name,
        cast(null as {{ dbt.type_string() }}) as office,
        cast(null as {{ dbt.type_string() }}) as region,
        cast('unknown' as {{ dbt.type_string() }}) as owner_source,
        cast(null as {{ dbt.type_string() }}) as hubspot_owner_id,
        false as is_archived

),

final as (

    select * from known

    union all

    select * from unknown_member

)

select * from final
