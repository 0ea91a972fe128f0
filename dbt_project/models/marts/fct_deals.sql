{#- The deals of int_deals in the funnel (exclusion_reason null). A deal whose owner is not in the owners list
    (int_owners) points at dim_owner's member 'unknown' (the warn test warn_deals_with_owner_not_in_owners lists
    them); a deal without an owner keeps owner_id null. is_amount_unconverted flags an amount fx_rates has no rate
    for (the warn test warn_deal_amounts_without_fx_rate names the currency, the day and the fix). -#}
with

deals as (

    select * from {{ ref('int_deals') }}

),

owners as (

    select * from {{ ref('int_owners') }}

),

in_funnel as (

    select
        deals.*,
        case
            when deals.owner_id is null or owners.owner_id is not null then deals.owner_id
            else 'unknown'
        end as known_owner_id,
        {{ dbt.datediff('cast(deals.current_stage_entered_at as date)', as_of_date(), 'day') }}
            as days_since_stage_entry,
        {{ whole_days_between('deals.created_at', 'deals.closed_at') }} as days_created_to_closed

    from deals

    left join owners
        on deals.owner_id = owners.owner_id

    where deals.exclusion_reason is null

),

final as (

    select
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(source_deal_id as {{ dbt.type_string() }}) as source_deal_id,
        cast(pipeline_id as {{ dbt.type_string() }}) as pipeline_id,
        cast(deal_name as {{ dbt.type_string() }}) as deal_name,
        cast(current_stage_code as {{ dbt.type_string() }}) as current_stage_code,
        current_stage_entered_at,
        case
            when current_stage_type = 'open' and not is_undated
                then cast(days_since_stage_entry as {{ dbt.type_int() }})
        end as days_in_current_stage,
        current_stage_type = 'open' as is_open,
        current_stage_type = 'won' as is_won,
        current_stage_type = 'lost' as is_lost,
        created_at,
        cast(created_at as date) as created_date,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as cohort_month,
        is_created_at_inferred,
        closed_at,
        cast(closed_at as date) as closed_date,
        cast(
            case when closed_at is not null and not is_created_at_inferred then days_created_to_closed end
            as {{ dbt.type_int() }}
        ) as cycle_days,
        cast(round(amount_cny, 2) as {{ dbt.type_numeric() }}) as amount_cny,
        cast(amount_original as {{ dbt.type_numeric() }}) as amount_original,
        coalesce(is_amount_list_price, false) as is_amount_list_price,
        cast(round(amount_reporting, 2) as {{ dbt.type_numeric() }}) as amount_reporting,
        coalesce(amount_original is not null and (amount_cny is null or amount_reporting is null), false)
            as is_amount_unconverted,
        {{ reporting_currency() }} as reporting_currency,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(loss_reason_code as {{ dbt.type_string() }}) as loss_reason_code,
        cast(lost_from_stage_code as {{ dbt.type_string() }}) as lost_from_stage_code,
        cast(known_owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(company_id as {{ dbt.type_string() }}) as company_id,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(channel_code as {{ dbt.type_string() }}) as channel_code,
        cast(stage_changes as {{ dbt.type_int() }}) as stage_changes,
        cast(backward_moves as {{ dbt.type_int() }}) as backward_moves,
        cast(stages_skipped as {{ dbt.type_int() }}) as stages_skipped,
        has_inferred_stages,
        is_undated,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(lead_type as {{ dbt.type_string() }}) as lead_type,
        cast(product as {{ dbt.type_string() }}) as product,
        cast(product_series as {{ dbt.type_string() }}) as product_series,
        cast(list_price as {{ dbt.type_numeric() }}) as list_price,
        cast(declared_revenue as {{ dbt.type_numeric() }}) as declared_revenue,
        {%- for column, type_key in passthrough_columns('deals').items() %}
        -- a customer's own deal column (var deals_passthrough_columns); list it in this model's yml too
        cast({{ column }} as {{ column_type(type_key) }}) as {{ column }},
        {%- endfor %}
        {{ as_of_date() }} as as_of_date

    from in_funnel

)

select * from final
