{#- Zoho users in the canonical owner shape (macros/union_sources.sql): no team (a Zoho role is not a team), the
    name keys both ways round for matching spreadsheet names; an inactive user is archived. -#}
with

users as (

    select * from {{ ref('stg_zoho__users') }}

),

final as (

    select
        {{ dbt.concat(["'zoho:'", "user_id"]) }} as owner_id,
        user_id as owner_source_id,
        user_name as owner_name,
        {{ person_name_key(dbt.concat(["coalesce(last_name, '')", "coalesce(first_name, '')"])) }}
            as owner_name_key_surname_first,
        {{ person_name_key(dbt.concat(["coalesce(first_name, '')", "coalesce(last_name, '')"])) }}
            as owner_name_key_given_first,
        not is_active as is_archived

    from users

)

select * from final
