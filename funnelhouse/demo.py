"""The demo: generate data once, serve the HubSpot emulator, load every source into the DuckDB warehouse."""
from __future__ import annotations

import json

from funnelhouse import settings
from funnelhouse.console import console, errors, reconciliation_table

EMULATOR_TOKEN = "demo-emulator-token"
PARAMS_FILE = "demo-params.json"
DEMO_AS_OF = "2026-09-30"  # the generator's cut-off: the funnel is built as of the day the demo data ends


def ensure_demo_inputs(seed: int, scale: float) -> None:
    """Write the demo data set under data/inputs unless the same seed and scale are already there."""
    from funnelhouse.generate import generate

    inputs = settings.inputs_dir()
    params = {"seed": seed, "scale": scale}
    marker = inputs / PARAMS_FILE
    if marker.exists() and json.loads(marker.read_text()) == params:
        console.print(f"Demo data: reusing {inputs} (seed {seed}, scale {scale})")
        return
    console.print(f"Demo data: generating seed {seed}, scale {scale} into {inputs} ...")
    counts = generate(inputs, seed=seed, scale=scale)
    marker.write_text(json.dumps(params))
    console.print("Demo data: " + ", ".join(f"{count:,} {what}" for what, count in counts.items()))


def run_demo(seed: int = 42, scale: float = 1.0) -> None:
    """Generate (once), then load forms, spreadsheets and the emulated HubSpot; print the reconciliation."""
    from emulators.hubspot.server import HubSpotEmulator
    from ingestion.run import SOURCES, IngestOptions, ingest

    ensure_demo_inputs(seed, scale)
    emulator = HubSpotEmulator(settings.inputs_dir() / "crm", token=EMULATOR_TOKEN).start()
    try:
        console.print(f"HubSpot emulator: serving on {emulator.base_url}")
        options = IngestOptions(hubspot_base_url=emulator.base_url, hubspot_token=EMULATOR_TOKEN)
        summaries, file_errors = ingest(SOURCES, options)
    finally:
        emulator.stop()
    console.print(reconciliation_table(summaries))
    for message in file_errors:
        errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    console.print(f"Warehouse: {options.warehouse} (datasets raw_forms, raw_spreadsheets, raw_hubspot)")
    build_and_show_funnel(options.warehouse)


def build_and_show_funnel(warehouse) -> None:
    """dbt build (staging → intermediate → marts, with tests) as of the demo's cut-off, then the funnel and losses."""
    import time

    from funnelhouse.console import funnel_table, loss_reason_table
    from funnelhouse.transform import dbt_build, funnel_summary, top_loss_reasons

    console.print(f"dbt build: as of {DEMO_AS_OF} ...")
    started = time.perf_counter()
    dbt_build(warehouse, as_of=DEMO_AS_OF)
    console.print(f"dbt build: all models and tests passed in {time.perf_counter() - started:.1f} s")
    console.print(funnel_table(funnel_summary(warehouse)))
    console.print(loss_reason_table(top_loss_reasons(warehouse, 3)))
