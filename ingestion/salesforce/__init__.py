"""dlt source `salesforce`: users, accounts, contacts, leads, opportunities, their history and stages into
raw_salesforce."""
from ingestion.salesforce.errors import explain
from ingestion.salesforce.settings import ENTITY_TABLES
from ingestion.salesforce.source import salesforce_source

__all__ = ["ENTITY_TABLES", "explain", "salesforce_source"]
