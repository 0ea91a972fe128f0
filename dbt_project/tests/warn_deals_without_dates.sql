-- Warns with the number of deals per source that have no date at all (e.g. Maven Prospecting rows): they count in
-- the pipeline and the stage counts as of the as-of day but are left out of time-based measures (cycle, time in
-- stage, days in current stage). Map a created or stage date to bring them in.
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_deals'}}}) }}

select
    source,
    count(*) as undated_deals

from {{ ref('fct_deals') }}

where is_undated

group by 1
