"""Data ingestion with dlt: one module per source (forms, spreadsheets, hubspot), each loading one raw dataset."""
import funnelhouse.settings  # noqa: F401  (points dlt at the project's .dlt folder before dlt is imported)
