"""The committed fixtures laid out as a drop-folder tree (forms/, spreadsheets/, crm/) for end-to-end tests."""
from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def copy_fixture_inputs(root: Path) -> Path:
    """Copy the form, spreadsheet and HubSpot fixtures to `root`/inputs and return that folder."""
    inputs = root / "inputs"
    shutil.copytree(FIXTURES / "forms", inputs / "forms")
    shutil.copytree(FIXTURES / "spreadsheets" / "drop", inputs / "spreadsheets")
    shutil.copytree(FIXTURES / "hubspot", inputs / "crm")
    return inputs
