"""Jobs: the refresh of everything (ingestion → dbt → checks → quality report) and the stale-deals digest."""
import dagster as dg

from orchestration.assets.quality import stale_deals_digest

DIGEST = dg.AssetSelection.assets(stale_deals_digest)


refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all() - DIGEST,
    description="Load every source, build the dbt project, run the checks, write the quality report.",
)


digest_job = dg.define_asset_job(
    "stale_deals_digest", selection=DIGEST, description="Send the stale-deals digest per owner."
)
