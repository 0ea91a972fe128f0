"""The demo: generate data once, serve the HubSpot emulator, load every source into the DuckDB warehouse."""
from __future__ import annotations

import json

from funnelhouse import settings
from funnelhouse.console import console, errors, reconciliation_table

EMULATOR_TOKEN = "demo-emulator-token"
PARAMS_FILE = "demo-params.json"


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
