{#- Attribute files of deals (`entity: deal_attributes`), completing the deals of the entry in `of`. -#}
{{ stage_sheet_attributes('deal') }}
