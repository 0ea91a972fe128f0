{#- Zoho contacts and leads in the canonical person-record shape (macros/union_sources.sql), with the name key of
    their account (contacts) or company (leads). -#}
with

contacts as (

    select * from {{ ref('stg_zoho__contacts') }}

),

leads as (

    select * from {{ ref('stg_zoho__leads') }}

),

accounts as (

    select * from {{ ref('stg_zoho__accounts') }}

),

final as (

    {{ crm_contact_and_lead_people('zoho') }}

)

select * from final
