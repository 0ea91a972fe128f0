with

owners as (

    select * from {{ ref('int_owners') }}

),

final as (

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

)

select * from final
