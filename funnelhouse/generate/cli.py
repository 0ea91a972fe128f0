"""The `funnelhouse generate` command: writes the demo data set and prints a summary of files and rows."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from funnelhouse import settings

from .core import generate

_OUT_HELP = (
    "Folder to write into (created if missing; existing files with the same names are overwritten). "
    "Gets forms/ (Typeform, 金数据 and website JSONL), spreadsheets/ (XLSX/CSV trackers, English CRM export, "
    "marketing spend), crm/ (HubSpot CRM v3 seed: owners, pipelines, companies, contacts, deals), "
    "salesforce/ (a US team's org as SOQL records: User, Account, Contact, Lead, Opportunity, OpportunityHistory, "
    "OpportunityStage, fields.json), pipedrive/ (a European team's account: v2 deals, persons, organizations, "
    "pipelines, stages; v1 users, deal changelog, deal fields) and manifest.json."
)
_SEED_HELP = "Random seed. The same seed, scale and as-of date always give byte-identical files."
_SCALE_HELP = (
    "Size of the data set. 1 ≈ 400 deals / 1.8k stage changes / 800 form leads, plus 150 Salesforce "
    "opportunities and 120 Pipedrive deals (about a second); 2500 ≈ 1M deals / 4.3M stage changes / 2M leads "
    "(about 13 minutes and 4 GB) plus 375k Salesforce opportunities / 3.1M history rows and 300k Pipedrive deals "
    "/ 1.5M changelog items (about 3.4 GB and, measured at scale 250, as long again as the forms), under 0.3 GB "
    "of memory; big outputs are split into files of at most 50,000 rows, except the Salesforce and Pipedrive "
    "seeds (one file per object, as their emulators read them). Fractions such as 0.1 give tiny samples."
)
_AS_OF_HELP = "The 'today' of the data (YYYY-MM-DD): everything is dated in the 18 months up to this day."


def generate_command(
    out: Path = typer.Option(None, "--out", "-o", help=_OUT_HELP, show_default="data/inputs"),
    seed: int = typer.Option(42, "--seed", help=_SEED_HELP),
    scale: float = typer.Option(1.0, "--scale", min=0.001, help=_SCALE_HELP),
    as_of: str = typer.Option("2026-09-30", "--as-of", help=_AS_OF_HELP),
) -> None:
    """Generate a realistic, deterministic sales-funnel demo data set (forms, spreadsheets, CRM seed)."""
    try:
        as_of_date = date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {as_of!r}", param_hint="--as-of") from None
    out = out or settings.inputs_dir()
    console = Console()
    started = time.perf_counter()
    with console.status(f"Generating demo data (scale {scale:g}) into {out} ..."):
        counts = generate(out, seed=seed, scale=scale, as_of=as_of_date)
    elapsed = time.perf_counter() - started
    console.print(files_table(out))
    console.print(
        f"[bold]{counts['deals']:,}[/] deals, [bold]{counts['stage_changes']:,}[/] stage changes, "
        f"[bold]{counts['leads']:,}[/] form leads from {counts['lead_people']:,} people, "
        f"{counts['crm_contacts']:,} CRM contacts, {counts['salesforce_opportunities']:,} Salesforce opportunities, "
        f"{counts['pipedrive_deals']:,} Pipedrive deals — {counts['files']} files in {elapsed:.1f}s → {out}"
    )


def files_table(out: Path) -> Table:
    """One row per output folder (files, rows), read back from manifest.json."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    groups: dict[str, list[int]] = {}
    for entry in manifest["files"]:
        folder = entry["path"].rsplit("/", 1)[0]
        name = entry["path"] if folder.startswith("crm") or folder == "spreadsheets" else folder + "/"
        files_rows = groups.setdefault(name, [0, 0])
        files_rows[0] += 1
        files_rows[1] += entry["rows"]
    table = Table(title="funnelhouse demo data")
    table.add_column("Output")
    table.add_column("Files", justify="right")
    table.add_column("Rows", justify="right")
    for name, (files, rows) in groups.items():
        table.add_row(name, str(files), f"{rows:,}")
    return table
