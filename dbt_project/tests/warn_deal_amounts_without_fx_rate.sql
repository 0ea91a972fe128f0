-- Warns about deals whose amount could not be converted: seeds/funnel/fx_rates.csv has no rate for the deal's
-- currency (or for the reporting currency) valid on the deal's creation day. Such a deal stays in the marts with
-- fct_deals.is_amount_unconverted, its amount_cny / amount_reporting empty and left out of every sum: flagged, not
-- dropped unannounced. Returns each deal with the currency, the day and the rate to add.
{{ config(severity='warn') }}

with

deals as (

    select * from {{ ref('fct_deals') }}

),

unconverted as (

    select
        deal_id,
        source,
        amount_original,
        case when amount_cny is null then currency_code else reporting_currency end as missing_currency,
        created_date as rate_needed_on

    from deals

    where is_amount_unconverted

),

final as (

    select
        deal_id,
        source,
        amount_original,
        missing_currency,
        rate_needed_on,
        {{ dbt.concat([
            "'add a '", "missing_currency",
            "' rate valid from ' ", "cast(rate_needed_on as " ~ dbt.type_string() ~ ")",
            "' or earlier to dbt_project/seeds/funnel/fx_rates.csv'",
        ]) }} as fix

    from unconverted

)

select * from final
