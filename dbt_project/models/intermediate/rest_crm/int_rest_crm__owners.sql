{#- The users of every YAML CRM in the canonical owner shape (macros/union_sources.sql), each with its CRM's name as
    source_name: the name as written for matching (one name field), the team the CRM gives; an inactive user is
    archived. -#}
with

owners as (

    select * from {{ ref('stg_rest_crm__owners') }}

),

final as (

    select
        source_name,
        {{ dbt.concat(["source_name", "':'", "owner_id"]) }} as owner_id,
        owner_id as owner_source_id,
        owner_name,
        team_name,
        owner_name_key as owner_name_key_given_first,
        not is_active as is_archived

    from owners

)

select * from final
