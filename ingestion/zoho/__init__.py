"""dlt source `zoho`: Zoho CRM v8 users, leads, accounts, contacts, deals with their Stage_History, the pipelines'
stages and deleted records into raw_zoho."""
from ingestion.zoho.errors import explain
from ingestion.zoho.settings import RAW_TABLES
from ingestion.zoho.source import zoho_source

ENTITY_TABLES = frozenset(RAW_TABLES)  # the tables whose rows the source counts loaded

__all__ = ["ENTITY_TABLES", "explain", "zoho_source"]
