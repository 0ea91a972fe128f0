{#- Attribute files of leads (`entity: lead_attributes`), completing the leads of the entry in `of`. -#}
{{ stage_sheet_attributes('lead') }}
