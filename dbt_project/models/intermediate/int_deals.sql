{#- One row per deal loaded raw (every row of int_deals_unioned), seen as of the as-of day: current stage, dates,
    amount in CNY, owner, company, contact person, channel, loss reason, and why a deal is left out of the marts.

    exclusion_reason (null = the deal is in fct_deals):
      archived            archived in HubSpot on or before the as-of day
      unmapped_stage      none of its stage values is in funnel_stage_map (add them there)
      created_after_as_of created after the as-of day
      no_stage_as_of      created before, but its first stage change is after the as-of day
    So: deals in fct_deals = deals loaded raw (HubSpot deals + tracker rows + export rows) minus these.

    Owner, company, contact person and channel: int_deal_links (the rules are in its header).
    Amount: in CNY by the seed fx_rates (the rate valid on the creation day); a deal without currency is CNY (a
    spreadsheet deal: its currency column, else its entry's `currency`); amount_reporting in var reporting_currency.
    An open spreadsheet deal without amount is valued at its product's list price (product lookup sheet):
    is_amount_list_price.

    Incremental (macros/incremental.sql): a run re-derives only the deals whose inputs changed: their row
    (deal_fingerprint), a stage change loaded since (history_load_id), what they link to (int_deal_links: owner_id,
    company_id, person_id, channel_code, channel_matched_by of every deal, compared with the stored ones), every
    deal when a setting all deals read changed (settings_version: fx_rates, channel_map, loss_reason_map, the
    product lists, the funnel definition, reporting_currency), and when the as-of day moved (as_of_date), the deals
    archived, created or with a stage change between the two days. -#}
{{ config(
    materialized=entity_materialization(),
    unique_key='deal_id',
    incremental_strategy=entity_strategy(),
    on_schema_change='append_new_columns',
    post_hook=[drop_vanished('deal_id', 'int_deals_unioned')]
) }}
with

all_deals as (

    select * from {{ ref('int_deals_unioned') }}

),

stage_changes as (

    select * from {{ ref('int_deal_stage_changes') }}

),

events as (

    select * from {{ ref('int_deal_stage_events') }}

),

loss_reasons as (

    select * from {{ ref('int_deal_loss_reasons') }}

),

channel_map as (

    select * from {{ ref('channel_map') }}

),

products as (

    -- product lookup sheets (entity products): series and list price by product name
    select
        product_key,
        min(series) as series,
        min(list_price) as list_price

    from {{ ref('stg_spreadsheets__products') }}

    group by 1

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

stages as (

    select * from {{ ref('funnel_stages') }}

),

loss_reason_map as (

    select * from {{ ref('loss_reason_map') }}

),

pipeline_stages as (

    select * from {{ ref('int_funnel_pipeline_stages') }}

),

stage_lookup as (

    select * from {{ ref('int_stage_lookup') }}

),

funnel_version as (

    {{ funnel_version('pipeline_stages', 'stage_lookup') }}

),

settings as (

    -- what every deal reads besides its own rows: a change re-derives them all
    select
        {{ dbt.hash(dbt.concat([
            "coalesce((" ~ relation_fingerprint('fx_rates', ['currency_code', 'valid_from', 'cny_per_unit']) ~ "), '')",
            "coalesce((" ~ relation_fingerprint('channel_map', ['source_field', 'source_value', 'channel_code']) ~ "), '')",
            "coalesce((" ~ relation_fingerprint('loss_reason_map', ['reason_text', 'reason_code', 'match_type']) ~ "), '')",
            "coalesce((" ~ relation_fingerprint('products', ['product_key', 'series', 'list_price']) ~ "), '')",
            "funnel_version.funnel_version",
            "'" ~ var('reporting_currency', 'CNY') ~ "'"
        ])) }} as settings_version

    from funnel_version

),

links as (

    select * from {{ ref('int_deal_links') }}

),

{% if is_incremental() %}

as_of_window as (

    -- from the first moment after the stored as-of day to this run's, or back (empty when it did not move)
    select
        case when stored_as_of.cutoff < {{ as_of_cutoff() }} then stored_as_of.cutoff else {{ as_of_cutoff() }} end
            as window_start,
        case when stored_as_of.cutoff < {{ as_of_cutoff() }} then {{ as_of_cutoff() }} else stored_as_of.cutoff end
            as window_end

    from (
        select cast({{ dbt.dateadd('day', 1, 'max(stored_deals.as_of_date)') }} as {{ dbt.type_timestamp() }}) as cutoff

        from {{ this }} as stored_deals
    ) as stored_as_of

),

as_of_moments as (

    -- what a deal's exclusion, creation and stages are judged by against the as-of day
    select
        all_deals.deal_id,
        all_deals.archived_at as moment

    from all_deals

    union all

    select
        stored_deals.deal_id,
        stored_deals.created_at as moment

    from {{ this }} as stored_deals

    union all

    select
        stage_changes.deal_id,
        stage_changes.changed_at as moment

    from stage_changes

    where stage_changes.stage_code is not null

),

deal_versions as (

    select
        all_deals.deal_id,
        all_deals.deal_fingerprint,
        settings.settings_version,
        links.owner_id,
        links.company_id,
        links.person_id,
        links.channel_code,
        links.channel_matched_by

    from all_deals

    inner join links
        on all_deals.deal_id = links.deal_id

    cross join settings

),

changed_deals as (

    {{ changed_entities('deal_versions', 'deal_id', [
        'deal_fingerprint', 'settings_version', 'owner_id', 'company_id', 'person_id', 'channel_code',
        'channel_matched_by'
    ]) }}

    union

    {{ loaded_since('stage_changes', 'deal_id', stored_load_column='history_load_id') }}

    union

    -- the as-of day moved: the deals with a moment between the two days, and those without a creation day (their
    -- amount is converted at the rate of the as-of day)
    select as_of_moments.deal_id

    from as_of_moments

    cross join as_of_window

    where as_of_moments.moment >= as_of_window.window_start and as_of_moments.moment < as_of_window.window_end

    union

    select stored_deals.deal_id

    from {{ this }} as stored_deals

    cross join as_of_window

    where stored_deals.created_at is null and as_of_window.window_start < as_of_window.window_end

),

{% endif %}

deals as (

    {{ entities_to_build('all_deals', 'deal_id') }}

),

history_loads as (

    select
        deal_id,
        max(source_load_id) as history_load_id

    from stage_changes

    where deal_id in (select deals.deal_id from deals)

    group by 1

),

mapped_changes as (

    select
        deal_id,
        min(changed_at) as first_change_at

    from stage_changes

    where stage_code is not null and deal_id in (select deals.deal_id from deals)

    group by 1

),

event_summary as (

    select
        deal_id,
        count(*) as stage_changes,
        sum(case when direction = 'backward' then 1 else 0 end) as backward_moves,
        sum(stages_skipped) as stages_skipped,
        max(case when is_inferred then 1 else 0 end) as has_inferred_events

    from events

    where deal_id in (select deals.deal_id from deals)

    group by 1

),

current_events as (

    select
        events.deal_id,
        events.to_stage_code as current_stage_code,
        events.from_stage_code as previous_stage_code,
        events.changed_at as current_stage_entered_at,
        events.is_entry_time_known as is_current_stage_entry_known,
        stages.stage_type as current_stage_type

    from events

    inner join stages
        on events.to_stage_code = stages.stage_code

    where events.is_current_stage and events.deal_id in (select deals.deal_id from deals)

),

dated as (

    select
        deals.*,
        coalesce(deals.created_at, mapped_changes.first_change_at) as resolved_created_at,
        products.series as product_series,
        products.list_price,
        deals.created_at is null or deals.is_undated as is_created_at_inferred,
        mapped_changes.deal_id is not null as has_mapped_stage

    from deals

    left join mapped_changes
        on deals.deal_id = mapped_changes.deal_id

    left join products
        on lower(trim(deals.product)) = products.product_key

),

fx_candidates as (

    select
        dated.deal_id,
        fx_rates.cny_per_unit,
        row_number() over (partition by dated.deal_id order by fx_rates.valid_from desc) as rate_rank

    from dated

    inner join fx_rates
        on
            upper(dated.currency_code) = upper(fx_rates.currency_code)
            and fx_rates.valid_from <= cast(coalesce(dated.resolved_created_at, {{ as_of_cutoff() }}) as date)

),

fx_reporting as (

    -- CNY per unit of the reporting currency (var reporting_currency) on the deal's creation day
    select
        dated.deal_id,
        fx_rates.cny_per_unit,
        row_number() over (partition by dated.deal_id order by fx_rates.valid_from desc) as rate_rank

    from dated

    inner join fx_rates
        on
            upper(fx_rates.currency_code) = upper('{{ var("reporting_currency", "CNY") }}')
            and fx_rates.valid_from <= cast(coalesce(dated.resolved_created_at, {{ as_of_cutoff() }}) as date)

),

enriched as (

    select
        dated.deal_id,
        dated.source,
        dated.source_deal_id,
        dated.pipeline_id,
        dated.deal_name,
        dated.resolved_created_at as created_at,
        dated.is_created_at_inferred,
        current_events.current_stage_code,
        current_events.current_stage_type,
        current_events.current_stage_entered_at,
        current_events.is_current_stage_entry_known,
        case
            when current_events.current_stage_type in ('won', 'lost') then current_events.current_stage_entered_at
        end as closed_at,
        case
            when current_events.current_stage_type = 'lost'
                then coalesce(dated.lost_from_stage_code, current_events.previous_stage_code)
        end as lost_from_stage_code,
        coalesce(dated.amount, case when current_events.current_stage_type = 'open' then dated.list_price end)
            as amount_original,
        dated.amount is null and dated.list_price is not null and current_events.current_stage_type = 'open'
            as is_amount_list_price,
        dated.currency_code,
        cast(
            coalesce(dated.amount, case when current_events.current_stage_type = 'open' then dated.list_price end)
            * fx_candidates.cny_per_unit as {{ dbt.type_numeric() }}
        ) as amount_cny,
        cast(
            coalesce(dated.amount, case when current_events.current_stage_type = 'open' then dated.list_price end)
            * fx_candidates.cny_per_unit / reporting_rate.cny_per_unit as {{ dbt.type_numeric() }}
        ) as amount_reporting,
        links.owner_id,
        links.company_id,
        links.person_id,
        links.channel_code,
        links.channel_matched_by,
        loss_reasons.loss_reason_text,
        case
            when current_events.current_stage_type = 'lost' then coalesce(loss_reasons.loss_reason_code, 'unspecified')
        end as loss_reason_code,
        coalesce(event_summary.stage_changes, 0) as stage_changes,
        coalesce(event_summary.backward_moves, 0) as backward_moves,
        coalesce(event_summary.stages_skipped, 0) as stages_skipped,
        coalesce(event_summary.has_inferred_events, 0) = 1 as has_inferred_stages,
        dated.is_archived,
        dated.is_undated,
        dated.segment,
        dated.lead_type,
        dated.product,
        dated.product_series,
        dated.list_price,
        dated.declared_revenue,
        {%- for column in passthrough_columns('deals') %}
        dated.{{ column }},
        {%- endfor %}
        case
            when dated.is_archived and (dated.archived_at is null or dated.archived_at < {{ as_of_cutoff() }})
                then 'archived'
            when not dated.has_mapped_stage then 'unmapped_stage'
            when dated.resolved_created_at >= {{ as_of_cutoff() }} then 'created_after_as_of'
            when current_events.deal_id is null then 'no_stage_as_of'
        end as exclusion_reason,
        dated.source_load_id,
        dated.deal_fingerprint,
        settings.settings_version,
        history_loads.history_load_id,
        {{ as_of_date() }} as as_of_date

    from dated

    inner join links
        on dated.deal_id = links.deal_id

    cross join settings

    left join history_loads
        on dated.deal_id = history_loads.deal_id

    left join current_events
        on dated.deal_id = current_events.deal_id

    left join event_summary
        on dated.deal_id = event_summary.deal_id

    left join fx_candidates
        on
            dated.deal_id = fx_candidates.deal_id
            and fx_candidates.rate_rank = 1

    left join fx_reporting as reporting_rate
        on
            dated.deal_id = reporting_rate.deal_id
            and reporting_rate.rate_rank = 1

    left join loss_reasons
        on dated.deal_id = loss_reasons.deal_id

)

select * from enriched
