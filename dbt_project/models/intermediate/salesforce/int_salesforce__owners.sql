{#- Salesforce users in the canonical owner shape (macros/union_sources.sql): no email, the department as team, the
    name keys both ways round for matching spreadsheet names; a deactivated user is archived. -#}
with

users as (

    select * from {{ ref('stg_salesforce__users') }}

),

final as (

    {{ crm_user_owners('salesforce', 'department') }}

)

select * from final
