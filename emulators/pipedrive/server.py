"""The Pipedrive emulator on the harness's server (emulators.common.server): in a background thread or in the
foreground (serve_forever)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from emulators.common.server import EmulatorServer, serve_in_foreground
from emulators.common.state import EmulatorState
from emulators.pipedrive.app import create_app, pipedrive_state
from emulators.pipedrive.store import PipedriveAccount


class PipedriveEmulator(EmulatorServer):
    """A local Pipedrive API (v2 deals, pipelines, stages, persons, organizations; v1 users, deal changelogs,
    deal fields) on 127.0.0.1, seeded from a `pipedrive/` seed folder.

    ``with PipedriveEmulator(path).start() as pd: httpx.get(pd.base_url + "/api/v2/deals", headers=...)``.
    The token is accepted as `x-api-token`, `?api_token=` or `Authorization: Bearer`. Knobs: ``burst_limit``
    (429 past N requests in a rolling 2 s, with x-ratelimit-* headers; default off) and ``daily_budget`` (429
    past N requests in the emulator's life). ``app.RATE_LIMIT_PROFILES["pipedrive"]`` holds a real plan's limit.
    """

    vendor_name = "Pipedrive"

    def __init__(self, data_dir: Path, token: str = "emulator-token", *, burst_limit: int | None = None,
                 daily_budget: int | None = None, **server: Any):
        """`server`: host, port, ssl_certfile, ssl_keyfile (emulators.common.server.EmulatorServer)."""
        super().__init__(data_dir, **server)
        self._token = token
        self._limits = {"burst_limit": burst_limit, "daily_budget": daily_budget}

    def _build(self) -> tuple[Starlette, EmulatorState]:
        state = pipedrive_state(PipedriveAccount(self.data_dir), self._token, **self._limits)
        return create_app(state), state

    # ------------------------------------------------------------ deal edits (as the /_emulator/deals routes do)
    def _account(self) -> PipedriveAccount:
        return self._require_state().store

    def update_deal(self, deal_id: int, changes: dict[str, Any], actor_user_id: int | None = None) -> dict[str, Any]:
        """Changes a deal like a user edit (changelog items written, update_time bumped); returns the deal."""
        return self._account().update_deal(int(deal_id), changes, actor_user_id)

    def delete_deal(self, deal_id: int) -> dict[str, Any]:
        return self._account().delete_deal(int(deal_id))

    def create_deal(self, fields: dict[str, Any]) -> dict[str, Any]:
        return self._account().create_deal(fields)


def serve_forever(
    data_dir: Path, token: str = "emulator-token", host: str = "127.0.0.1", port: int = 0, **options: Any
) -> None:
    """Serves the emulator in the foreground until Ctrl-C / SIGTERM; prints the base URL first."""
    serve_in_foreground(PipedriveEmulator(Path(data_dir), token, host=host, port=port, **options))
