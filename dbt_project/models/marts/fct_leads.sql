with

leads as (

    select * from {{ ref('int_leads') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

person_deals as (

    select
        person_id,
        min(created_at) as first_deal_created_at

    from deals

    where person_id is not null

    group by 1

),

lead_wins as (

    -- the first deal of the lead's person won on the lead's day or later
    select
        leads.lead_id,
        min(deals.closed_date) as won_date

    from leads

    inner join deals
        on
            leads.person_id = deals.person_id
            and cast(leads.created_at as date) <= deals.closed_date

    where deals.is_won

    group by 1

),

final as (

    select
        cast(leads.lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(leads.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(leads.form_tool as {{ dbt.type_string() }}) as form_tool,
        leads.created_at,
        cast(leads.created_at as date) as created_date,
        cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as cohort_month,
        cast(leads.person_id as {{ dbt.type_string() }}) as person_id,
        cast(leads.company_id as {{ dbt.type_string() }}) as company_id,
        cast(leads.channel_code as {{ dbt.type_string() }}) as channel_code,
        cast(leads.owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(leads.lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(leads.email_hash as {{ dbt.type_string() }}) as email_hash,
        cast(leads.phone_masked as {{ dbt.type_string() }}) as phone_masked,
        leads.is_first_touch,
        person_deals.person_id is not null as person_has_deal,
        cast(leads.segment as {{ dbt.type_string() }}) as segment,
        cast(leads.lead_type as {{ dbt.type_string() }}) as lead_type,
        cast(leads.declared_revenue as {{ dbt.type_numeric() }}) as declared_revenue,
        lead_wins.won_date,
        cast(
            {{ dbt.datediff('cast(leads.created_at as date)', 'lead_wins.won_date', 'day') }} as {{ dbt.type_int() }}
        ) as days_to_won,
        {{ as_of_date() }} as as_of_date

    from leads

    left join person_deals
        on leads.person_id = person_deals.person_id

    left join lead_wins
        on leads.lead_id = lead_wins.lead_id

)

select * from final
