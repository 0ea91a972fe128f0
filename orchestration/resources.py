"""Dagster resources, configured from env vars: where the warehouse and drop folders are, dbt, and alert channels."""
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timezone
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from funnelhouse import settings
from funnelhouse.transform import DBT_PROJECT_DIR
from ingestion.common.explain import serving_copy
from ingestion.connectors import CONNECTORS, settings_from_env
from ingestion.run import IngestOptions

HIDDEN = "***"
SECRET_SETTINGS = {(entry.name, setting.key) for entry in CONNECTORS for setting in entry.settings if setting.secret}


def is_secret(source: str, key: str) -> bool:
    """A secret Setting of the registry, or (for a source it does not know) a key that names a secret."""
    return (source, key) in SECRET_SETTINGS or any(word in key for word in ("token", "secret", "password", "key"))


class FunnelhouseResource(dg.ConfigurableResource):
    """Paths and the as-of day of a refresh. Empty fields fall back to funnelhouse.settings (env FUNNELHOUSE_*)."""

    warehouse: str = ""
    inputs_dir: str = ""
    as_of: str = ""  # YYYY-MM-DD; empty = today (env FUNNELHOUSE_AS_OF)
    hubspot_base_url: str = ""  # empty = env FUNNELHOUSE_HUBSPOT_BASE_URL, then dlt config
    hubspot_token: str = ""  # empty = env FUNNELHOUSE_HUBSPOT_TOKEN, then dlt secrets (never logged)
    # any API source's settings by the keys of its registry entry, e.g. {"pipedrive": {"base_url": ..., "api_token":
    # ...}}; a setting left out comes from its FUNNELHOUSE_* env (Setting.env), then dlt's config and secrets
    api_settings: dict[str, dict[str, str]] = {}

    def __repr_args__(self):
        """Secrets (a registry Setting with secret=True, hubspot_token) are never shown, e.g. in a log line."""
        for name, value in super().__repr_args__():
            if name == "hubspot_token" and value:
                value = HIDDEN
            elif name == "api_settings":
                value = {source: {key: HIDDEN if given and is_secret(source, key) else given
                                  for key, given in values.items()} for source, values in value.items()}
            yield name, value

    def warehouse_path(self) -> Path:
        return Path(self.warehouse) if self.warehouse else settings.warehouse_path()

    def inputs_path(self) -> Path:
        return Path(self.inputs_dir) if self.inputs_dir else settings.inputs_dir()

    def serving_file(self) -> Path:
        """The published DuckDB file for BI tools: env FUNNELHOUSE_SERVING_FILE, default
        serving/funnelhouse_serving.duckdb next to the warehouse."""
        return serving_copy(self.warehouse_path())

    def parquet_folder(self) -> Path:
        """env FUNNELHOUSE_PARQUET_DIR, default serving/parquet next to the warehouse."""
        return Path(os.environ.get("FUNNELHOUSE_PARQUET_DIR", self.warehouse_path().parent / "serving" / "parquet"))

    def quality_dir(self) -> Path:
        """Where validation results and digests are written for people to open: <data>/quality."""
        return self.warehouse_path().parent / "quality"

    def as_of_date(self) -> date:
        value = self.as_of or os.environ.get("FUNNELHOUSE_AS_OF", "")
        return date.fromisoformat(value) if value else datetime.now(timezone.utc).date()

    def as_of_end(self) -> datetime:
        """The last moment of the as-of day (UTC): raw dates after it are in the future."""
        return datetime.combine(self.as_of_date(), time.max, tzinfo=timezone.utc)

    def ingest_options(self) -> IngestOptions:
        return IngestOptions(
            inputs_dir=self.inputs_path(),
            warehouse=self.warehouse_path(),
            hubspot_base_url=self.hubspot_base_url or None,  # their env is read with the others (source_settings)
            hubspot_token=self.hubspot_token or None,
            api_settings=self.source_settings(),
        )

    def source_settings(self) -> dict[str, dict[str, str]]:
        """Every API source's settings: the FUNNELHOUSE_* env ones (settings_from_env), overridden by api_settings."""
        merged = settings_from_env(os.environ)
        for source, values in self.api_settings.items():
            merged[source] = {**merged.get(source, {}), **{key: value for key, value in values.items() if value}}
        return merged


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse the refresh reads and checks (resource key `warehouse`): `kind` duckdb, postgres or spark
    (empty = env FUNNELHOUSE_WAREHOUSE_KIND); `duckdb_file` the DuckDB file (empty = the funnelhouse resource's
    warehouse, then settings). Connections are closed after each use, so dlt and dbt can write in between."""

    kind: str = ""
    duckdb_file: str = ""

    def current(self):
        from funnelhouse.warehouse import current

        return current(self.kind or None, self.duckdb_file or None)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[object]:
        """A Connection (funnelhouse.warehouse.base) to the warehouse, closed at the end of the block."""
        with self.current().connect(read_only=read_only) as connection:
            yield connection

    def describe(self) -> str:
        return self.current().describe()


def dbt_executable() -> str:
    """The dbt next to this Python (the project's .venv), so runs work without an activated venv."""
    candidate = Path(sys.executable).parent / ("dbt.exe" if os.name == "nt" else "dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )


class AlertsResource(dg.ConfigurableResource):
    """Alert channels from env vars (funnelhouse.notify); sends nothing unless a channel is configured."""

    def send(self, notification: object) -> list:
        return send_alert(notification)


def send_alert(notification: object) -> list:
    """Send to every configured channel; a misconfigured channel is logged, never fails the run or check."""
    from funnelhouse.notify import NotifyConfigError, NotifySettings, send

    try:
        settings = NotifySettings.from_env()
    except NotifyConfigError as exc:
        dg.get_dagster_logger().error(f"alerts not sent: {exc}")
        return []
    deliveries = send(notification, settings)
    for delivery in deliveries:
        if not delivery.ok:
            dg.get_dagster_logger().warning(f"alert to {delivery.channel} failed: {delivery.detail}")
    return deliveries
