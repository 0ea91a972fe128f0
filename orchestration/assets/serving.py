"""The serving group: the marts published for BI tools (a DuckDB 1.x-readable file and Parquet) after each refresh."""
import dagster as dg

from orchestration.assets.dbt import dbt_models
from orchestration.resources import FunnelhouseResource

GROUP = "serving"


def bi_marts() -> list[dg.AssetKey]:
    """The marts and dims BI tools read (the marts layer without its int_ building blocks)."""
    return [key for key in dbt_models.keys if key.path[0] == "marts" and not key.path[-1].startswith("int_")]


def _metadata(published) -> dict:
    return {
        "path": dg.MetadataValue.path(str(published.path)),
        "tables": len(published.rows),
        "rows": sum(published.rows.values()),
        "bytes": published.bytes,
        "seconds": round(published.seconds, 2),
    }


@dg.asset(key=["serving", "funnelhouse_serving"], group_name=GROUP, deps=bi_marts(), kinds={"duckdb"})
def serving_database(funnelhouse: FunnelhouseResource) -> dg.MaterializeResult:
    """The marts in a new DuckDB file (storage v1.4.0, which DuckDB 1.x opens), renamed over the last one: BI tools
    holding the old file keep reading it, new connections get this one. Skipped when a blocking check fails."""
    from funnelhouse.serving import publish_serving_copy

    with funnelhouse.connect() as connection:
        published = publish_serving_copy(connection, funnelhouse.serving_file())
    return dg.MaterializeResult(metadata=_metadata(published))


@dg.asset(key=["serving", "parquet_marts"], group_name=GROUP, deps=bi_marts(), kinds={"parquet"})
def parquet_marts(funnelhouse: FunnelhouseResource) -> dg.MaterializeResult:
    """Each mart as <serving>/parquet/<mart>/<mart>.parquet: the whole set written into a new version folder, then
    `parquet` (a symlink) switched to it by one rename, so readers never see a partial set."""
    from funnelhouse.serving import export_parquet

    with funnelhouse.connect() as connection:
        published = export_parquet(connection, funnelhouse.parquet_folder())
    return dg.MaterializeResult(metadata=_metadata(published))


serving_assets = [serving_database, parquet_marts]
