{#- A score and a tier (A/B/C) for every company of dim_company as of the as-of day, with the rules of the seeds
    lead_scoring_rules and customer_tiers. One row per company: industry and size are company facts, and every lead
    and deal carries its company.
      fit_score         industry points + size band points
      engagement_score  lead count points + recency points + stage points, where
                          lead_count          leads of the company (fct_leads: form submissions and HubSpot contacts)
                          last_activity_date  the company's latest lead or deal stage change (deal creation included)
                          days_since          whole days from it to the as-of day
                          furthest stage      the furthest open or won stage any of its deals entered (a deal lost in
                                              proposal reached proposal; a skipped stage does not matter)
      total_score       fit_score + engagement_score
      tier              the tier with the highest min_score ≤ total_score
    A value no rule lists scores 0; when bands overlap, the highest points win. -#}
with

companies as (

    select * from {{ ref('dim_company') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

rules as (

    select * from {{ ref('lead_scoring_rules') }}

),

tiers as (

    select * from {{ ref('customer_tiers') }}

),

company_leads as (

    select
        company_id,
        count(*) as lead_count

    from leads

    where company_id is not null

    group by 1

),

company_deals as (

    select
        company_id,
        count(*) as deals_total,
        sum(case when is_open then 1 else 0 end) as open_deals,
        sum(case when is_won then 1 else 0 end) as won_deals

    from deals

    where company_id is not null

    group by 1

),

deal_events as (

    select
        deals.company_id,
        events.to_stage_code,
        events.changed_date

    from events

    inner join deals
        on events.deal_id = deals.deal_id

    where deals.company_id is not null

),

furthest_orders as (

    select
        deal_events.company_id,
        max(stages.stage_order) as furthest_stage_order

    from deal_events

    inner join stages
        on deal_events.to_stage_code = stages.stage_code

    where stages.stage_type <> 'lost'

    group by 1

),

furthest_stages as (

    select
        furthest_orders.company_id,
        stages.stage_code as furthest_stage_code

    from furthest_orders

    inner join stages
        on furthest_orders.furthest_stage_order = stages.stage_order

),

activities as (

    select
        company_id,
        created_date as activity_date

    from leads

    where company_id is not null

    union all

    select
        company_id,
        changed_date as activity_date

    from deal_events

),

last_activities as (

    select
        company_id,
        max(activity_date) as last_activity_date

    from activities

    group by 1

),

company_facts as (

    select
        companies.company_id,
        companies.company_name,
        companies.industry_code,
        companies.size_band_code,
        coalesce(company_leads.lead_count, 0) as lead_count,
        last_activities.last_activity_date,
        {{ dbt.datediff('last_activities.last_activity_date', as_of_date(), 'day') }} as days_since_last_activity,
        coalesce(company_deals.deals_total, 0) as deals_total,
        coalesce(company_deals.open_deals, 0) as open_deals,
        coalesce(company_deals.won_deals, 0) as won_deals,
        furthest_stages.furthest_stage_code

    from companies

    left join company_leads
        on companies.company_id = company_leads.company_id

    left join company_deals
        on companies.company_id = company_deals.company_id

    left join last_activities
        on companies.company_id = last_activities.company_id

    left join furthest_stages
        on companies.company_id = furthest_stages.company_id

),

band_points as (

    select
        company_facts.company_id,
        max(case when rules.rule_type = 'lead_count' then rules.points end) as lead_count_points,
        max(case when rules.rule_type = 'recency_days' then rules.points end) as recency_points

    from company_facts

    inner join rules
        on
            (
                rules.rule_type = 'lead_count'
                and company_facts.lead_count >= rules.min_value
                and (rules.max_value is null or company_facts.lead_count <= rules.max_value)
            )
            or (
                rules.rule_type = 'recency_days'
                and company_facts.days_since_last_activity >= rules.min_value
                and (rules.max_value is null or company_facts.days_since_last_activity <= rules.max_value)
            )

    group by 1

),

scored as (

    select
        company_facts.*,
        coalesce(industry_rules.points, 0) as industry_points,
        coalesce(size_rules.points, 0) as size_band_points,
        coalesce(band_points.lead_count_points, 0) as lead_count_points,
        coalesce(band_points.recency_points, 0) as recency_points,
        coalesce(stage_rules.points, 0) as stage_points

    from company_facts

    left join rules as industry_rules
        on
            industry_rules.rule_type = 'industry'
            and company_facts.industry_code = industry_rules.rule_key

    left join rules as size_rules
        on
            size_rules.rule_type = 'size_band'
            and company_facts.size_band_code = size_rules.rule_key

    left join rules as stage_rules
        on
            stage_rules.rule_type = 'stage'
            and company_facts.furthest_stage_code = stage_rules.rule_key

    left join band_points
        on company_facts.company_id = band_points.company_id

),

totals as (

    select
        *,
        industry_points + size_band_points as fit_score,
        lead_count_points + recency_points + stage_points as engagement_score,
        industry_points + size_band_points + lead_count_points + recency_points + stage_points as total_score

    from scored

),

tier_matches as (

    select
        totals.company_id,
        tiers.tier_code,
        tiers.name_zh as tier_name_zh,
        tiers.name_en as tier_name_en,
        row_number() over (partition by totals.company_id order by tiers.min_score desc) as match_rank

    from totals

    inner join tiers
        on totals.total_score >= tiers.min_score

),

final as (

    select
        cast(totals.company_id as {{ dbt.type_string() }}) as company_id,
        cast(totals.company_name as {{ dbt.type_string() }}) as company_name,
        cast(totals.industry_code as {{ dbt.type_string() }}) as industry_code,
        cast(totals.size_band_code as {{ dbt.type_string() }}) as size_band_code,
        cast(totals.industry_points as {{ dbt.type_int() }}) as industry_points,
        cast(totals.size_band_points as {{ dbt.type_int() }}) as size_band_points,
        cast(totals.fit_score as {{ dbt.type_int() }}) as fit_score,
        cast(totals.lead_count as {{ dbt.type_int() }}) as lead_count,
        cast(totals.lead_count_points as {{ dbt.type_int() }}) as lead_count_points,
        totals.last_activity_date,
        cast(totals.days_since_last_activity as {{ dbt.type_int() }}) as days_since_last_activity,
        cast(totals.recency_points as {{ dbt.type_int() }}) as recency_points,
        cast(totals.deals_total as {{ dbt.type_int() }}) as deals_total,
        cast(totals.open_deals as {{ dbt.type_int() }}) as open_deals,
        cast(totals.won_deals as {{ dbt.type_int() }}) as won_deals,
        cast(totals.furthest_stage_code as {{ dbt.type_string() }}) as furthest_stage_code,
        cast(totals.stage_points as {{ dbt.type_int() }}) as stage_points,
        cast(totals.engagement_score as {{ dbt.type_int() }}) as engagement_score,
        cast(totals.total_score as {{ dbt.type_int() }}) as total_score,
        cast(tier_matches.tier_code as {{ dbt.type_string() }}) as tier_code,
        cast(tier_matches.tier_name_zh as {{ dbt.type_string() }}) as tier_name_zh,
        cast(tier_matches.tier_name_en as {{ dbt.type_string() }}) as tier_name_en,
        cast(rank() over (order by totals.total_score desc) as {{ dbt.type_int() }}) as score_rank,
        {{ as_of_date() }} as as_of_date

    from totals

    left join tier_matches
        on
            totals.company_id = tier_matches.company_id
            and tier_matches.match_rank = 1

)

select * from final
