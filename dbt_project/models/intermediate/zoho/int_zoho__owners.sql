{#- Zoho users in the canonical owner shape (macros/union_sources.sql): no team (a Zoho role is not a team), the
    name keys both ways round for matching spreadsheet names; an inactive user is archived. -#}
with

users as (

    select * from {{ ref('stg_zoho__users') }}

),

final as (

    {{ crm_user_owners('zoho') }}

)

select * from final
