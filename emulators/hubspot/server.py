"""The HubSpot emulator on the harness's server (emulators.common.server): in a background thread or in the
foreground (serve_forever)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from emulators.common.server import EmulatorServer, serve_in_foreground
from emulators.common.state import EmulatorState
from emulators.hubspot.app import create_app, hubspot_state
from emulators.hubspot.store import HubSpotStore, StoreError, resolve_object_type


class HubSpotEmulator(EmulatorServer):
    """A local HubSpot CRM v3 API on 127.0.0.1, seeded from a data directory.

    Usable as a context manager: ``with HubSpotEmulator(path).start() as hs: httpx.get(hs.base_url + ...)``.
    Extra knobs (keyword-only): ``rate_limit_per_second`` (429 SECONDLY past N requests per second,
    default off), ``rate_limit_per_ten_seconds`` (429 TEN_SECONDLY_ROLLING past N requests in a rolling 10 s),
    ``search_rate_limit_per_second`` (the same for search endpoints only), ``search_result_limit`` (how many
    results a search may page through before HubSpot's 400, default 10,000) and ``missing_scopes`` (scopes the
    token lacks: their endpoints answer 403 MISSING_SCOPES). ``account.RATE_LIMIT_PROFILES["hubspot"]`` holds
    HubSpot's published limits.
    """

    vendor_name = "HubSpot"

    def __init__(
        self,
        data_dir: Path,
        token: str = "emulator-token",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limit_per_second: int | None = None,
        search_rate_limit_per_second: int | None = None,
        search_result_limit: int = 10_000,
        rate_limit_per_ten_seconds: int | None = None,
        missing_scopes: tuple[str, ...] = (),
        ssl_certfile: str | Path | None = None,
        ssl_keyfile: str | Path | None = None,
    ):
        super().__init__(data_dir, host, port, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
        self._token = token
        self._options = {
            "rate_limit_per_second": rate_limit_per_second,
            "search_rate_limit_per_second": search_rate_limit_per_second,
            "search_result_limit": search_result_limit,
            "rate_limit_per_ten_seconds": rate_limit_per_ten_seconds,
            "missing_scopes": tuple(missing_scopes),
        }
        self._store: HubSpotStore | None = None

    def _build(self) -> tuple[Starlette, EmulatorState]:
        self._store = HubSpotStore(self.data_dir)
        state = hubspot_state(self._store, self._token, **self._options)
        return create_app(state), state

    def _release(self) -> None:
        if self._store is not None:
            self._store.close()
        self._store = None

    # ------------------------------------------------------------ changing objects (as the /_emulator/ routes do)
    def set_faults(self, **faults: Any) -> None:
        """Same keys as POST /_emulator/faults: rate_limit_burst, rate_limit_policy, server_errors,
        server_error_status, slow_seconds, expired_token, extra_property, missing_scopes, reset."""
        super().set_faults(**faults)

    def _object_type(self, object_type: str) -> str:
        resolved = resolve_object_type(object_type)
        if resolved is None:
            raise ValueError(f"Unknown HubSpot object type: {object_type}")
        return resolved

    def update_object(
        self,
        object_type: str,
        object_id: str,
        properties: dict[str, Any],
        updated_by_user_id: int | None = None,
    ) -> dict[str, Any]:
        """Sets properties like a user edit; returns the stored object (all properties and history)."""
        state = self._require_state()
        try:
            return state.store.update(
                self._object_type(object_type), int(object_id), properties, updated_by_user_id
            )
        except StoreError as exc:
            raise KeyError(exc.message) if exc.status == 404 else ValueError(exc.message) from None

    def archive_object(self, object_type: str, object_id: str) -> None:
        state = self._require_state()
        try:
            state.store.archive(self._object_type(object_type), int(object_id))
        except StoreError as exc:
            raise KeyError(exc.message) from None

    def create_object(
        self, object_type: str, properties: dict[str, Any], associations: dict[str, list[Any]] | None = None
    ) -> dict[str, Any]:
        """Adds an object with the next free id, created after every existing timestamp."""
        state = self._require_state()
        try:
            return state.store.create(self._object_type(object_type), properties, associations)
        except StoreError as exc:
            raise ValueError(exc.message) from None


def serve_forever(
    data_dir: Path, token: str = "emulator-token", host: str = "127.0.0.1", port: int = 0, **options: Any
) -> None:
    """Serves the emulator in the foreground until Ctrl-C / SIGTERM; prints the base URL first."""
    serve_in_foreground(HubSpotEmulator(Path(data_dir), token, host, port, **options))
