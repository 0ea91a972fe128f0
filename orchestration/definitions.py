"""The Definitions of funnelhouse, assembled from the per-area modules (`dagster dev -m orchestration.definitions`)."""
import dagster as dg

from orchestration.alerts import alert_on_run_failure
from orchestration.assets.dbt import dbt_models
from orchestration.assets.ingestion import ingestion_assets
from orchestration.assets.quality import quality_assets
from orchestration.assets.serving import serving_assets
from orchestration.checks import gx_checks
from orchestration.jobs import digest_job, refresh_job
from orchestration.resources import AlertsResource, FunnelhouseResource, WarehouseResource, dbt_resource
from orchestration.schedules import schedules
from orchestration.sensors import drop_folder_sensor


def build_definitions(funnelhouse: FunnelhouseResource | None = None,
                      warehouse: WarehouseResource | None = None) -> dg.Definitions:
    """All assets, checks, jobs, schedules and sensors; `funnelhouse` overrides paths and the as-of day, `warehouse`
    the warehouse (default: the kind of env FUNNELHOUSE_WAREHOUSE_KIND; on DuckDB the funnelhouse resource's file)."""
    funnelhouse = funnelhouse or FunnelhouseResource()
    return dg.Definitions(
        assets=[*ingestion_assets, dbt_models, *quality_assets, *serving_assets],
        asset_checks=gx_checks(),
        jobs=[refresh_job, digest_job],
        schedules=schedules(refresh_job, digest_job),
        sensors=[drop_folder_sensor(refresh_job), alert_on_run_failure],
        resources={
            "funnelhouse": funnelhouse,
            "warehouse": warehouse or WarehouseResource(duckdb_file=funnelhouse.warehouse),
            "dbt": dbt_resource(),
            "alerts": AlertsResource(),
        },
        executor=dg.in_process_executor,  # DuckDB takes one writer, Spark one JVM: steps run one after another
    )


defs = build_definitions()
