"""Dagster orchestration of funnelhouse: assets, checks, schedules and sensors around ingestion, dbt and expectations."""
