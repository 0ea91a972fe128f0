"""The fxiaoke emulator on the harness's server (emulators.common.server): in a background thread or in the
foreground (serve_forever)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from emulators.common.server import EmulatorServer, serve_in_foreground
from emulators.common.state import EmulatorState
from emulators.fxiaoke.app import CorpApp, create_app, fxiaoke_state
from emulators.fxiaoke.store import FxiaokeTenant

APP_ID = "FSAID_emulator"
APP_SECRET = "emulator-app-secret"
PERMANENT_CODE = "emulator-permanent-code"
CORP_ID = "FSCID_emulator"


class FxiaokeEmulator(EmulatorServer):
    """A local fxiaoke open platform (corpAccessToken, CRM data query, object describe, address book) on 127.0.0.1,
    seeded from a `fxiaoke/` seed folder (emulators/fxiaoke/README.md).

    ``with FxiaokeEmulator(path).start() as fx: httpx.post(fx.base_url + "/cgi/corpAccessToken/get/V2", json=...)``.
    Knobs: ``route_limit`` (errorCode 30004 past N calls in 20 s on one route; the platform's is 100) and
    ``daily_budget`` (errorCode 30002 past N calls in the emulator's life); both off by default.
    """

    vendor_name = "fxiaoke"

    def __init__(self, data_dir: Path, *, app_id: str = APP_ID, app_secret: str = APP_SECRET,
                 permanent_code: str = PERMANENT_CODE, corp_id: str = CORP_ID, route_limit: int | None = None,
                 daily_budget: int | None = None, **server: Any):
        """`server`: host, port (emulators.common.server.EmulatorServer)."""
        super().__init__(data_dir, **server)
        self._app = (app_id, app_secret, permanent_code, corp_id)
        self._limits = {"route_limit": route_limit, "daily_budget": daily_budget}
        self.corp_id = corp_id

    def _build(self) -> tuple[Starlette, EmulatorState]:
        state = fxiaoke_state(FxiaokeTenant(self.data_dir), CorpApp(*self._app), **self._limits)
        return create_app(state), state

    def save_record(self, api_name: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Adds or changes a record as POST /_emulator/records/<apiName> does; returns it."""
        return self._require_state().store.save(api_name, fields)


def serve_forever(data_dir: Path, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
    """Serves the emulator in the foreground until Ctrl-C / SIGTERM; prints the base URL first."""
    serve_in_foreground(FxiaokeEmulator(Path(data_dir), host=host, port=port, **options))
