{#- Pipedrive users in the canonical owner shape (macros/union_sources.sql): no email, no team (Pipedrive's teams
    are not read), the name as written for matching (Pipedrive keeps one name field); a deleted or deactivated user
    is archived. -#}
with

users as (

    select * from {{ ref('stg_pipedrive__users') }}

),

final as (

    select
        {{ dbt.concat(["'pipedrive:'", "cast(user_id as " ~ dbt.type_string() ~ ")"]) }} as owner_id,
        cast(user_id as {{ dbt.type_string() }}) as owner_source_id,
        user_name as owner_name,
        user_name_key as owner_name_key_given_first,
        is_deleted or not is_active as is_archived

    from users

)

select * from final
