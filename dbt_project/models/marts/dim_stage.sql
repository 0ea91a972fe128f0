with

stages as (

    select * from {{ ref('funnel_stages') }}

),

final as (

    select
        cast(stage_code as {{ dbt.type_string() }}) as stage_code,
        cast(stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(name_zh as {{ dbt.type_string() }}) as name_zh,
        cast(name_en as {{ dbt.type_string() }}) as name_en,
        cast(stage_type as {{ dbt.type_string() }}) as stage_type,
        stage_type = 'open' as is_open,
        cast(stale_after_days as {{ dbt.type_int() }}) as stale_after_days,
        cast(entry_criteria as {{ dbt.type_string() }}) as entry_criteria

    from stages

)

select * from final
