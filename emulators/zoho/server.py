"""`ZohoEmulator`: the Zoho CRM org of a seed folder served by the harness, accounts server included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from emulators.common.app import create_app
from emulators.common.server import EmulatorServer, serve_in_foreground
from emulators.common.state import EmulatorState
from emulators.zoho.app import TokenGrants, routes, zoho_state
from emulators.zoho.store import ZohoOrg


class ZohoEmulator(EmulatorServer):
    """A Zoho CRM org on 127.0.0.1 (API v8 under /crm/v8, the accounts server's /oauth/v2/token on the same host).

    ``with ZohoEmulator(path).start() as zoho: httpx.post(zoho.base_url + "/oauth/v2/token", data={...})``.
    `access_token` works from the start; refresh grants of the self client (`client_id`, `client_secret`,
    `refresh_token`) issue more. `daily_credits` (one per call) and `per_second` turn the 429 limits on."""

    vendor_name = "Zoho CRM"

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 0, *,
                 access_token: str = "emulator-token", client_id: str = "emulator-client-id",
                 client_secret: str = "emulator-client-secret", refresh_token: str = "emulator-refresh-token",
                 daily_credits: int | None = None, per_second: int | None = None, **server: Any):
        """`server`: ssl_certfile, ssl_keyfile (emulators.common.server.EmulatorServer)."""
        super().__init__(data_dir, host, port, **server)
        self._access_token = access_token
        self._grants = TokenGrants(client_id, client_secret, refresh_token)
        self._limits = {"daily_credits": daily_credits, "per_second": per_second}
        self.org: ZohoOrg | None = None

    def _build(self) -> tuple[Starlette, EmulatorState]:
        self.org = ZohoOrg(self.data_dir)
        state = zoho_state(self.org, [self._access_token], self._grants, **self._limits)
        return create_app(state, routes()), state

    def _release(self) -> None:
        self.org = None

    def _require_org(self) -> ZohoOrg:
        if self.org is None:
            raise RuntimeError("ZohoEmulator is not started")
        return self.org

    def update_record(self, module: str, record_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """A user's edit (as POST /_emulator/records/{module}/{id}): Modified_Time moves to the org's next
        second; a deal's Stage change writes a Stage_History row. Returns the stored record."""
        return self._require_org().update(module, record_id, changes)

    def delete_record(self, module: str, record_id: str) -> dict[str, Any]:
        """Moves the record to the recycle bin (listed by /{module}/deleted); returns the deleted entry."""
        return self._require_org().delete(module, record_id)


def serve_forever(data_dir: Path, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
    """Serves the org of `data_dir` in the foreground until Ctrl-C / SIGTERM; prints the base URL first."""
    serve_in_foreground(ZohoEmulator(Path(data_dir), host, port, **options))
