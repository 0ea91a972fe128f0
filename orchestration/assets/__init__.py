"""Dagster assets: raw tables loaded by dlt, dbt models and seeds, and the quality group."""
