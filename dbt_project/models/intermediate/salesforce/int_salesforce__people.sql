{#- Salesforce contacts and leads in the canonical person-record shape (macros/union_sources.sql), with the name
    key of their account (contacts) or company (leads). -#}
with

contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}

),

leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

accounts as (

    select * from {{ ref('stg_salesforce__accounts') }}

),

final as (

    {{ crm_contact_and_lead_people('salesforce') }}

)

select * from final
