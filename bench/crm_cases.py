"""What the CRM request bench knows of each CRM: its seed folder and deals at generator scale 1, its emulator and
the source settings that reach it, and how a user's edit of a deal is sent through the emulator's control route.

Deals changed for the incremental run: every n-th live deal of the seed (n = 1 / share), alternately a stage move
(to the stage of another deal of the same pipeline, so the stage is valid there) and an amount change (+100).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from funnelhouse.generate import core

TOKEN = "bench-token"
CLIENT = {"client_id": "bench-client-id", "client_secret": "bench-client-secret"}
ZOHO_REFRESH = "bench-refresh-token"


@dataclass(frozen=True)
class CrmCase:
    """One CRM: `folder` under the inputs, `base_deals` at scale 1 (the generator's constant), the deals file and
    how to read a deal (id, stage, pipeline, amount, live), `edit(id, changes)` -> (control path, JSON body),
    `serve(folder)` an unstarted emulator, `settings(emulator)` the source's api_settings."""

    name: str
    folder: str
    base_deals: int
    deals_file: str
    deal_id: Callable[[dict[str, Any]], str]
    stage: str
    pipeline: Callable[[dict[str, Any]], Any]
    amount: str
    live: Callable[[dict[str, Any]], bool]
    edit: Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]
    serve: Callable[[Path], Any]
    settings: Callable[[Any], dict[str, str]]
    fields: Callable[[dict[str, Any]], dict[str, Any]] = lambda deal: deal  # where stage and amount sit

    def deals(self, inputs: Path) -> Iterator[dict[str, Any]]:
        with (inputs / self.folder / self.deals_file).open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def _salesforce(folder: Path) -> Any:
    from emulators.salesforce.server import SalesforceEmulator

    return SalesforceEmulator(folder, session_id=TOKEN, **CLIENT)


def _pipedrive(folder: Path) -> Any:
    from emulators.pipedrive.server import PipedriveEmulator

    return PipedriveEmulator(folder, token=TOKEN)


def _zoho(folder: Path) -> Any:
    from emulators.zoho.server import ZohoEmulator

    return ZohoEmulator(folder, access_token=TOKEN, refresh_token=ZOHO_REFRESH, **CLIENT)


def _hubspot(folder: Path) -> Any:
    from emulators.hubspot.server import HubSpotEmulator

    return HubSpotEmulator(folder, token=TOKEN)


def _fxiaoke(folder: Path) -> Any:
    from emulators.fxiaoke.server import FxiaokeEmulator

    return FxiaokeEmulator(folder, app_id=FXIAOKE["app_id"], app_secret=FXIAOKE["app_secret"],
                           permanent_code=FXIAOKE["permanent_code"])


FXIAOKE = {"app_id": "FSAID_bench", "app_secret": "bench-app-secret", "permanent_code": "bench-permanent-code"}


def _fxiaoke_settings(emulator: Any) -> dict[str, str]:
    """The app's secrets and, as currentOpenUserId, the seed's first employee."""
    with (Path(emulator.data_dir) / "employees.jsonl").open(encoding="utf-8") as handle:
        user = json.loads(handle.readline())["openUserId"]
    return {"base_url": emulator.base_url, "current_open_user_id": user, **FXIAOKE}


CASES: dict[str, CrmCase] = {case.name: case for case in (
    CrmCase("salesforce", "salesforce", core.BASE_SALESFORCE[2], "Opportunity.jsonl", lambda d: d["Id"],
            "StageName", lambda d: None, "Amount", lambda d: not d.get("IsDeleted"),
            lambda id_, changes: (f"/_emulator/records/Opportunity/{id_}", {"fields": changes}), _salesforce,
            lambda emu: {"login_url": emu.base_url, **CLIENT}),
    CrmCase("pipedrive", "pipedrive", core.BASE_PIPEDRIVE[2], "deals.jsonl", lambda d: str(d["id"]),
            "stage_id", lambda d: d.get("pipeline_id"), "value", lambda d: not d.get("is_deleted"),
            lambda id_, changes: (f"/_emulator/deals/{id_}", {"changes": changes}), _pipedrive,
            lambda emu: {"base_url": emu.base_url, "api_token": TOKEN}),
    CrmCase("zoho", "zoho", core.BASE_ZOHO[2], "Deals.jsonl", lambda d: d["id"],
            "Stage", lambda d: (d.get("Pipeline") or {}).get("id"), "Amount", lambda d: True,
            lambda id_, changes: (f"/_emulator/records/Deals/{id_}", {"changes": changes}), _zoho,
            lambda emu: {"accounts_url": emu.base_url, "refresh_token": ZOHO_REFRESH, **CLIENT}),
    CrmCase("hubspot", "crm", core.BASE_CRM_DEALS, "deals.jsonl", lambda d: d["id"],
            "dealstage", lambda d: d["properties"].get("pipeline"), "amount", lambda d: not d.get("archived"),
            lambda id_, changes: (f"/_emulator/objects/deals/{id_}", {"properties": changes}), _hubspot,
            lambda emu: {"base_url": emu.base_url, "api_token": TOKEN}, fields=lambda d: d["properties"]),
    CrmCase("fxiaoke", "fxiaoke", core.BASE_FXIAOKE[2], "NewOpportunityObj.jsonl", lambda d: d["_id"],
            "sales_stage", lambda d: d.get("sales_process_id"), "amount",
            lambda d: not d.get("is_deleted") and d.get("life_status") == "normal",
            lambda id_, changes: ("/_emulator/records/NewOpportunityObj", {"_id": id_, **changes}), _fxiaoke,
            _fxiaoke_settings),
)}


def available() -> list[str]:
    """The CRMs of CASES whose source this checkout has (a YAML CRM once ingestion/rest_crm has its file)."""
    from ingestion.connectors import connector

    names = []
    for name in CASES:
        try:
            connector(name)
        except (ValueError, KeyError):
            continue
        names.append(name)
    return names


def _bumped(value: Any) -> Any:
    """The amount plus 100, written as the vendor writes it (number, "123000" or "167400.00")."""
    if isinstance(value, str):
        number = float(value or 0) + 100
        return f"{number:.2f}" if "." in value else str(int(number))
    return (value or 0) + 100


def planned_edits(case: CrmCase, inputs: Path, share: float) -> list[tuple[str, dict[str, Any]]]:
    """(deal id, changes) for every n-th live deal, n = round(1 / share): odd ones move to the stage of the next
    live deal of their pipeline whose stage differs (an amount change when there is none), even ones +100."""
    live = [deal for deal in case.deals(inputs) if case.live(deal)]
    step = max(1, round(1 / share))
    edits = []
    for number, index in enumerate(range(0, len(live), step)):
        deal = live[index]
        fields = case.fields(deal)
        donor = next((other for other in live[index + 1:] + live[:index]
                      if case.pipeline(other) == case.pipeline(deal)
                      and case.fields(other).get(case.stage) != fields.get(case.stage)), None)
        if number % 2 and donor is not None:
            edits.append((case.deal_id(deal), {case.stage: case.fields(donor)[case.stage]}))
        else:
            edits.append((case.deal_id(deal), {case.amount: _bumped(fields.get(case.amount))}))
    return edits
