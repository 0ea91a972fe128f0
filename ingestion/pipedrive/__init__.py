"""dlt source `pipedrive`: deals and their stage changes, pipelines, stages, persons, organizations and users
into raw_pipedrive."""
from ingestion.pipedrive.errors import explain
from ingestion.pipedrive.settings import RAW_TABLES
from ingestion.pipedrive.source import pipedrive_source

ENTITY_TABLES = frozenset(RAW_TABLES)  # the tables whose rows the source counts loaded

__all__ = ["ENTITY_TABLES", "explain", "pipedrive_source"]
