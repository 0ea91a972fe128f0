with

channels as (

    select * from {{ ref('channels') }}

),

final as (

    select
        cast(channel_code as {{ dbt.type_string() }}) as channel_code,
        cast(channel_order as {{ dbt.type_int() }}) as channel_order,
        cast(name_zh as {{ dbt.type_string() }}) as name_zh,
        cast(name_en as {{ dbt.type_string() }}) as name_en

    from channels

)

select * from final
