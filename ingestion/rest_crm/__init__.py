"""Any REST CRM from a YAML file (`ingestion/rest_crm/crms/<name>.yaml`, or a folder named by
FUNNELHOUSE_REST_CRM_DIR): the file is validated (spec.py), read into one rest_api config (source.py) and its
records mapped onto the canonical tables of columns.py in `raw_<name>`. No Python per CRM."""
