"""`SalesforceEmulator`: the Salesforce org of a seed folder served by the harness (https when given a cert)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from emulators.common.app import create_app
from emulators.common.server import EmulatorServer, serve_in_foreground
from emulators.common.state import EmulatorState
from emulators.salesforce.app import SALESFORCE, TrailingSlash, apply_faults, daily_window, routes
from emulators.salesforce.auth import TokenGrants
from emulators.salesforce.bulk import BulkJobs
from emulators.salesforce.org import Org, utc_now
from emulators.salesforce.paging import Cursors

DAILY_CAP = 100_000  # an Enterprise org's base 24-hour allocation, before per-licence additions


class SalesforceEmulator(EmulatorServer):
    """A Salesforce org on 127.0.0.1: `session_id` works as a bearer token from the start (simple-salesforce's
    `Salesforce(instance_url=..., session_id=...)`); the token endpoint grants more to the configured connected app
    (`client_id`/`client_secret`, or `refresh_token`). `daily_cap` is the 24-hour request allocation: every answer
    carries `Sforce-Limit-Info`, and past the cap requests answer 403 REQUEST_LIMIT_EXCEEDED."""

    vendor_name = "Salesforce"

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        session_id: str = "emulator-token",
        client_id: str = "emulator-client-id",
        client_secret: str = "emulator-client-secret",
        refresh_token: str = "emulator-refresh-token",
        daily_cap: int = DAILY_CAP,
        clock: Callable[[], datetime] = utc_now,
        ssl_certfile: str | Path | None = None,
        ssl_keyfile: str | Path | None = None,
    ):
        super().__init__(data_dir, host, port, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
        self._session_id = session_id
        self._grants = TokenGrants(client_id, client_secret, refresh_token)
        self.daily_cap = daily_cap
        self._clock = clock
        self.org: Org | None = None

    def _build(self) -> tuple[Starlette, EmulatorState]:
        self.org = Org(self.data_dir, clock=self._clock)
        state = EmulatorState(
            SALESFORCE,
            [self._session_id],
            store=self.org,
            windows=[daily_window(self.daily_cap)],
            on_faults=apply_faults(self.org),
            options={
                "org": self.org,
                "cursors": Cursors(),
                "bulk": BulkJobs(self.org),
                "grants": self._grants,
            },
        )
        app = create_app(state, routes())
        app.add_middleware(TrailingSlash)
        return app, state

    def _release(self) -> None:
        self.org = None

    def stop(self) -> None:
        """As the harness stops, without waiting on TLS connections a client has closed (uvicorn keeps them
        counted until its 2 s graceful timeout; an emulator has nothing to finish)."""
        if self._server is not None:
            self._server.force_exit = True
        super().stop()

    # ---------------------------------------------------------------- record edits (as the control routes)
    def _require_org(self) -> Org:
        if self.org is None:
            raise RuntimeError("SalesforceEmulator is not started")
        return self.org

    def update_record(self, sobject: str, record_id: str, fields: dict[str, Any], user_id: str | None = None):
        """A user's edit: SystemModstamp moves to now; an Opportunity's stage, amount or close date change writes
        an OpportunityHistory row. Returns the stored record."""
        return self._require_org().update(sobject, record_id, fields, user_id)

    def delete_record(self, sobject: str, record_id: str) -> dict[str, Any]:
        """Moves the record to the recycle bin (IsDeleted true, served only by queryAll)."""
        return self._require_org().delete(sobject, record_id)


def serve_forever(data_dir: Path, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
    """Serves the org of `data_dir` in the foreground until Ctrl-C / SIGTERM; prints the base URL first.
    `options` are SalesforceEmulator's keywords (session_id, client_id, daily_cap, ssl_certfile, ...)."""
    serve_in_foreground(SalesforceEmulator(Path(data_dir), host, port, **options))
