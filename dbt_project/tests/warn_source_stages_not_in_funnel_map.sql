-- Warns about stage values the funnel map does not know: deals only in such stages are left out of the marts
-- (int_deals.exclusion_reason = unmapped_stage), other changes to them are skipped. Add the values to
-- seeds/funnel/funnel_stage_map.csv.
{{ config(severity='warn') }}

select
    source,
    source_stage,
    count(distinct deal_id) as deals

from {{ ref('int_deal_stage_changes') }}

where stage_code is null

group by 1, 2
