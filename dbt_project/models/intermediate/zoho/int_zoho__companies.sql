{#- Zoho accounts, and the account of each contact with the contact's email domain, in the canonical
    company-record shape (macros/union_sources.sql). -#}
with

accounts as (

    select * from {{ ref('stg_zoho__accounts') }}

),

contacts as (

    select * from {{ ref('stg_zoho__contacts') }}

),

final as (

    {{ crm_account_companies('zoho') }}

)

select * from final
