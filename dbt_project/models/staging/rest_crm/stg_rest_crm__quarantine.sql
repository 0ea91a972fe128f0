{#- The quarantine of every YAML CRM (macros/rest_crm.sql), each row with its CRM's name. -#}
{{ stage_quarantine('rest_crm', rows=union_rest_crm('quarantine', quarantine_columns())) }}
