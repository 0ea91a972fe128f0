"""Dagster orchestration of funnelhouse: ingestion, dbt, quality checks, schedules, sensors and alerts."""
