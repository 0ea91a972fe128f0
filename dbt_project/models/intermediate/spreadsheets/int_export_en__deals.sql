{#- The English CRM export's deals in the canonical deal shape (macros/union_sources.sql). -#}
with

export_deals as (

    select * from {{ ref('stg_spreadsheets__export_deals') }}

),

final as (

    select
        {{ dbt.concat(["'export_en:'", "export_deal_id"]) }} as deal_id,
        'export_en' as source,
        'export_en' as stage_source,
        export_deal_id as source_deal_id,
        'default' as pipeline_id,
        account_name as deal_name,
        cast(created_on as {{ dbt.type_timestamp() }}) as created_at,
        stage_raw as current_stage_value,
        ingested_stage_code,
        stage_entered_on,
        amount_cny as amount,
        'CNY' as currency_code,
        owner_name,
        owner_name_key,
        account_name as company_name,
        account_name_key as company_name_key,
        industry,
        company_size,
        contact_email_hash,
        contact_email_domain,
        contact_phone_hash,
        contact_name_key,
        'channel' as channel_field,
        channel as channel_value,
        lost_reason as loss_reason_text,
        false as is_archived,
        false as is_undated,
        source_load_id

    from export_deals

)

select * from final
