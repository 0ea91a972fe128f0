{#- The reconciliation of every YAML CRM (macros/rest_crm.sql), each row with its CRM's name. -#}
{{ stage_reconciliation('rest_crm', rows=union_rest_crm('reconciliation', reconciliation_columns())) }}
