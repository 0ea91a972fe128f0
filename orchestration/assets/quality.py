"""The quality group: the data-quality report and the funnel report people open, and the stale-deals digest."""
import json
from decimal import Decimal

import dagster as dg

from orchestration.resources import AlertsResource, FunnelhouseResource, WarehouseResource

GROUP = "quality"
STALE_DEALS = dg.AssetKey(["marts", "mart_stale_deals"])
MARTS_CHECKED = [
    dg.AssetKey(["marts", name])
    for name in ("mart_funnel_conversion", "mart_loss_reasons", "mart_stage_velocity", "mart_stale_deals")
]


@dg.asset(key=["quality", "data_quality_report"], group_name=GROUP, deps=MARTS_CHECKED, kinds={"great_expectations"})
def data_quality_report(funnelhouse: FunnelhouseResource) -> dg.MaterializeResult:
    """Index of the latest Great Expectations result of every suite (quality/gx/index.html), with its summary."""
    index = funnelhouse.quality_dir() / "gx" / "index.html"
    latest = sorted((funnelhouse.quality_dir() / "gx").glob("*/latest.json"))
    failed = [
        path.parent.name for path in latest
        if not json.loads(path.read_text(encoding="utf-8")).get("success", False)
    ]
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(str(index)),
            "suites": len(latest),
            "suites_failing": len(failed),
            "failing": ", ".join(failed) or "none",
        }
    )


@dg.asset(key=["quality", "funnel_report"], group_name=GROUP, deps=MARTS_CHECKED, kinds={"html", "plotly"})
def funnel_report(funnelhouse: FunnelhouseResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The HTML funnel report (funnel, conversion by channel, time in stage, loss Pareto, stale deals, forecast):
    one self-contained file under <data>/reports that works offline, read from the warehouse's marts."""
    from funnelhouse.report import REPORT_NAME, write_report

    path = write_report(funnelhouse.warehouse_path(), funnelhouse.warehouse_path().parent / "reports" / REPORT_NAME,
                        store=warehouse.current())
    return dg.MaterializeResult(
        metadata={"report": dg.MetadataValue.path(str(path)), "bytes": path.stat().st_size}
    )


def stale_deal_rows(warehouse: WarehouseResource) -> list[dict]:
    with warehouse.connect() as connection:
        cursor = connection.execute("select * from marts.mart_stale_deals order by owner_name, days_over_threshold desc")
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _json_default(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else str(value)


@dg.asset(key=["quality", "stale_deals_digest"], group_name=GROUP, deps=[STALE_DEALS], kinds={"python"})
def stale_deals_digest(funnelhouse: FunnelhouseResource, warehouse: WarehouseResource,
                       alerts: AlertsResource) -> dg.MaterializeResult:
    """Open deals past their stage's threshold, per owner, sent to the configured alert channels (daily)."""
    from funnelhouse.notify import stale_deals_digest as digest

    rows = stale_deal_rows(warehouse)
    notification = digest(rows, funnelhouse.as_of_date())
    folder = funnelhouse.quality_dir() / "digests"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"stale_deals_{funnelhouse.as_of_date().isoformat()}.json"
    path.write_text(
        json.dumps({"title": notification.title, "text": notification.text, "facts": notification.facts},
                   ensure_ascii=False, indent=2, default=_json_default),
        encoding="utf-8",
    )
    deliveries = alerts.send(notification) if rows else []
    return dg.MaterializeResult(
        metadata={
            "stale_deals": len(rows),
            "owners": len({row["owner_name"] for row in rows}),
            "digest": dg.MetadataValue.path(str(path)),
            "sent_to": ", ".join(f"{d.channel} ({'ok' if d.ok else d.detail})" for d in deliveries) or "nobody",
        }
    )


quality_assets = [data_quality_report, funnel_report, stale_deals_digest]
