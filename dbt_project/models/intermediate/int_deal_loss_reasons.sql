{#- The normalised loss reason of every deal whose source gives one in free text (HubSpot closed_lost_reason,
    the export's Lost Reason), by the seed loss_reason_map: an `exact` variant (case and surrounding spaces
    ignored) wins; else the longest `contains` keyword found in the text; else 'other'. -#}
with

deals as (

    select * from {{ ref('int_deals_unioned') }}

),

reason_map as (

    select * from {{ ref('loss_reason_map') }}

),

reasons as (

    select
        deal_id,
        loss_reason_text,
        {{ lookup_key('loss_reason_text') }} as reason_key

    from deals

    where nullif(trim(loss_reason_text), '') is not null

),

exact_matches as (

    select
        reasons.deal_id,
        min(reason_map.reason_code) as reason_code

    from reasons

    inner join reason_map
        on
            reason_map.match_type = 'exact'
            and reasons.reason_key = {{ lookup_key('reason_map.reason_text') }}

    group by 1

),

keyword_matches as (

    select
        reasons.deal_id,
        reason_map.reason_code,
        row_number() over (
            partition by reasons.deal_id
            order by length(trim(reason_map.reason_text)) desc, reason_map.reason_code
        ) as match_rank

    from reasons

    inner join reason_map
        on
            reason_map.match_type = 'contains'
            and {{ dbt.position(lookup_key('reason_map.reason_text'), 'reasons.reason_key') }} > 0

),

final as (

    select
        reasons.deal_id,
        reasons.loss_reason_text,
        coalesce(exact_matches.reason_code, keyword_matches.reason_code, 'other') as loss_reason_code,
        case
            when exact_matches.reason_code is not null then 'exact'
            when keyword_matches.reason_code is not null then 'contains'
            else 'none'
        end as matched_by

    from reasons

    left join exact_matches
        on reasons.deal_id = exact_matches.deal_id

    left join keyword_matches
        on
            reasons.deal_id = keyword_matches.deal_id
            and keyword_matches.match_rank = 1

)

select * from final
