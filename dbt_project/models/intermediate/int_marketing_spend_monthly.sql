{#- Marketing spend per month and channel, from the spend sheet. The sheet's channel names map to channels the
    way int_leads maps a form's channel field: seed channel_map, source_field = 'channel', ignoring case and
    surrounding spaces; a name the map does not know is 'other'. Names mapping to the same channel in the same month
    are added up. Months that start after the as-of day (budgets written ahead) are left out. The sheet is in CNY
    (spend_cny); spend_reporting is it in the reporting currency (var reporting_currency) at the seed fx_rates' rate
    valid on the month's first day. -#}
with

spend as (

    select * from {{ ref('stg_spreadsheets__marketing_spend') }}

),

channel_map as (

    select * from {{ ref('channel_map') }}

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

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

monthly as (

    select
        spend_month,
        channel_code,
        sum(amount_cny) as spend_cny,
        count(*) as spend_rows

    from mapped

    group by 1, 2

),

reporting_rates as (

    -- CNY per unit of the reporting currency on the month's first day
    select
        monthly.spend_month,
        monthly.channel_code,
        fx_rates.cny_per_unit,
        row_number() over (
            partition by monthly.spend_month, monthly.channel_code order by fx_rates.valid_from desc
        ) as rate_rank

    from monthly

    inner join fx_rates
        on
            monthly.spend_month >= fx_rates.valid_from
            and upper(fx_rates.currency_code) = upper('{{ var("reporting_currency", "CNY") }}')

),

final as (

    select
        monthly.spend_month,
        monthly.channel_code,
        cast(monthly.spend_cny as {{ dbt.type_numeric() }}) as spend_cny,
        cast(monthly.spend_cny / reporting_rates.cny_per_unit as {{ dbt.type_numeric() }}) as spend_reporting,
        cast(monthly.spend_rows as {{ dbt.type_int() }}) as spend_rows

    from monthly

    left join reporting_rates
        on
            monthly.spend_month = reporting_rates.spend_month
            and monthly.channel_code = reporting_rates.channel_code
            and reporting_rates.rate_rank = 1

)

select * from final
