{#- Why deals are lost: one row per month lost (closing month), normalised reason and stage lost from.
    share_of_month = lost deals of the row / all deals lost that month. The top 3 reasons (by lost deals over all
    months, then amount; 'unspecified' — no reason written — is not ranked) are flagged on every row. -#}
with

deals as (

    select * from {{ ref('fct_deals') }}

),

reasons as (

    select * from {{ ref('loss_reasons') }}

),

lost as (

    select
        deal_id,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as lost_month,
        loss_reason_code,
        lost_from_stage_code,
        amount_reporting

    from deals

    where is_lost

),

grouped as (

    select
        lost_month,
        loss_reason_code,
        lost_from_stage_code,
        count(*) as lost_deals,
        sum(amount_reporting) as amount_lost_reporting

    from lost

    group by 1, 2, 3

),

month_totals as (

    select
        lost_month,
        count(*) as month_lost_deals

    from lost

    group by 1

),

reason_totals as (

    select
        lost.loss_reason_code,
        count(*) as reason_lost_deals,
        coalesce(sum(lost.amount_reporting), 0) as reason_amount_lost_reporting,
        min(reasons.reason_order) as reason_order

    from lost

    left join reasons
        on lost.loss_reason_code = reasons.reason_code

    where lost.loss_reason_code <> 'unspecified'

    group by 1

),

reason_ranks as (

    select
        loss_reason_code,
        reason_lost_deals,
        row_number() over (
            order by reason_lost_deals desc, reason_amount_lost_reporting desc, reason_order asc, loss_reason_code asc
        ) as reason_rank

    from reason_totals

),

final as (

    select
        grouped.lost_month,
        cast(grouped.loss_reason_code as {{ dbt.type_string() }}) as loss_reason_code,
        cast(reasons.name_zh as {{ dbt.type_string() }}) as reason_name_zh,
        cast(reasons.name_en as {{ dbt.type_string() }}) as reason_name_en,
        cast(grouped.lost_from_stage_code as {{ dbt.type_string() }}) as lost_from_stage_code,
        cast(grouped.lost_deals as {{ dbt.type_int() }}) as lost_deals,
        cast(round(grouped.lost_deals * 1.0 / month_totals.month_lost_deals, 4) as {{ dbt.type_numeric() }})
            as share_of_month,
        cast(grouped.amount_lost_reporting as {{ dbt.type_numeric() }}) as amount_lost_reporting,
        cast(reason_ranks.reason_rank as {{ dbt.type_int() }}) as reason_rank,
        coalesce(reason_ranks.reason_rank <= 3, false) as is_top3_reason,
        {{ reporting_currency() }} as reporting_currency,
        {{ as_of_date() }} as as_of_date

    from grouped

    inner join month_totals
        on grouped.lost_month = month_totals.lost_month

    left join reasons
        on grouped.loss_reason_code = reasons.reason_code

    left join reason_ranks
        on grouped.loss_reason_code = reason_ranks.loss_reason_code

)

select * from final
