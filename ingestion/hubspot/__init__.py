"""dlt source `hubspot`: CRM deals, contacts, companies, owners and deal pipelines into raw_hubspot."""
from ingestion.hubspot.errors import explain
from ingestion.hubspot.settings import ENTITY_TABLES
from ingestion.hubspot.source import hubspot_source

__all__ = ["ENTITY_TABLES", "explain", "hubspot_source"]
