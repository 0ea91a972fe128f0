-- Warns about deals with an amount in a currency seeds/funnel/fx_rates.csv has no rate for (amount_cny is empty).
{{ config(severity='warn') }}

select
    deal_id,
    currency_code,
    amount_original

from {{ ref('fct_deals') }}

where amount_original is not null and amount_cny is null
