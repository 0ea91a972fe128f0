{#- One row per deal loaded raw, from every source of var('deal_sources') (dbt_project.yml), each through its
    canonical model int_<source>__deals (macros/union_sources.sql): HubSpot, the trackers, the export, and every
    deals entry of mapping.yaml without `table:` (int_sheets__deals, known by its entry name as source). Nothing is
    filtered here: archived, unmapped or later-than-as-of deals are flagged downstream (int_deals.exclusion_reason).
    deal_fingerprint: a hash of every other column, so the incremental models downstream re-derive a deal
    exactly when its row changed (macros/incremental.sql). -#}
{%- set fingerprinted = (canonical_columns('deals') | reject('equalto', 'deal_id') | list)
    + (passthrough_columns('deals') | list) -%}
with

unioned as (

    {{ union_sources('deals', var('deal_sources')) | indent(4) }}

),

final as (

    select
        *,
        {{ row_fingerprint(fingerprinted) }} as deal_fingerprint

    from unioned

)

select * from final
