{#- Marketing spend per month and channel, from the spend sheet. The sheet's channel names map to channels the
    way int_leads maps a form's channel field: seed channel_map, source_field = 'channel', ignoring case and
    surrounding spaces; a name the map does not know is 'other'. Names mapping to the same channel in the same month
    are added up. Months that start after the as-of day (budgets written ahead) are left out. -#}
with

spend as (

    select * from {{ ref('stg_spreadsheets__marketing_spend') }}

),

channel_map as (

    select * from {{ ref('channel_map') }}

),

mapped as (

    select
        cast({{ dbt.date_trunc('month', 'spend.spend_month') }} as date) as spend_month,
        coalesce(channel_map.channel_code, 'other') as channel_code,
        spend.amount_cny

    from spend

    left join channel_map
        on
            channel_map.source_field = 'channel'
            and {{ lookup_key('spend.channel') }} = {{ lookup_key('channel_map.source_value') }}

    where
        spend.spend_month is not null
        and spend.spend_month <= {{ as_of_date() }}

),

final as (

    select
        spend_month,
        channel_code,
        cast(sum(amount_cny) as {{ dbt.type_numeric() }}) as spend_cny,
        cast(count(*) as {{ dbt.type_int() }}) as spend_rows

    from mapped

    group by 1, 2

)

select * from final
