"""The serving group: the marts published for BI tools after each refresh. DuckDB: a DuckDB 1.x-readable copy and
Parquet; Postgres: the marts schema itself, read by the read-only role funnel_bi (checked, nothing copied)."""
import dagster as dg

from orchestration.assets.dbt import dbt_models
from orchestration.resources import FunnelhouseResource, WarehouseResource

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


def _not_copied(store) -> dg.MaterializeResult:
    """A warehouse BI tools read where it is: what its read-only role reads (Postgres), or that nothing is copied."""
    if store.serves_in_place:
        access = store.bi_access()
        return dg.MaterializeResult(metadata={
            "served_in_place": True, "role": access["role"], "schema": access["schema"], "tables": access["tables"],
            "connect": access["connect"], "password_set": access["password_set"]})
    return dg.MaterializeResult(metadata={"served_in_place": True, "where": store.describe(),
                                          "note": f"BI tools read the {store.kind} warehouse's marts schema"})


@dg.asset(key=["serving", "funnelhouse_serving"], group_name=GROUP, deps=bi_marts(), kinds={"duckdb"})
def serving_database(funnelhouse: FunnelhouseResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """DuckDB: the marts in a new DuckDB file (storage v1.4.0, which DuckDB 1.x opens), renamed over the last one:
    BI tools holding the old file keep reading it, new connections get this one. Postgres: no copy; the read-only
    role funnel_bi is checked to read the marts and nothing else. Skipped when a blocking check fails."""
    from funnelhouse.serving import publish_serving_copy

    store = warehouse.current()
    if not store.is_file:
        return _not_copied(store)
    with store.connect() as connection:
        published = publish_serving_copy(connection.raw, funnelhouse.serving_file())
    return dg.MaterializeResult(metadata=_metadata(published))


@dg.asset(key=["serving", "parquet_marts"], group_name=GROUP, deps=bi_marts(), kinds={"parquet"})
def parquet_marts(funnelhouse: FunnelhouseResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """DuckDB: each mart as <serving>/parquet/<mart>/<mart>.parquet: the whole set written into a new version
    folder, then `parquet` (a symlink) switched to it by one rename, so readers never see a partial set. Other
    kinds: nothing written (BI tools read the marts schema)."""
    from funnelhouse.serving import export_parquet

    store = warehouse.current()
    if not store.is_file:
        return dg.MaterializeResult(metadata={"served_in_place": True, "where": store.describe(),
                                              "note": "no Parquet copy: BI tools read the marts schema"})
    with store.connect() as connection:
        published = export_parquet(connection.raw, funnelhouse.parquet_folder())
    return dg.MaterializeResult(metadata=_metadata(published))


serving_assets = [serving_database, parquet_marts]
