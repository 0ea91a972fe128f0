"""Runs the HubSpot emulator with uvicorn: in a background thread or in the foreground (serve_forever)."""

from __future__ import annotations

import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from emulators.hubspot.app import ApiError, EmulatorState, create_app
from emulators.hubspot.store import HubSpotStore, StoreError, resolve_object_type


class HubSpotEmulator:
    """A local HubSpot CRM v3 API on 127.0.0.1, seeded from a data directory.

    Usable as a context manager: ``with HubSpotEmulator(path).start() as hs: httpx.get(hs.base_url + ...)``.
    Extra knobs (keyword-only): ``rate_limit_per_second`` (429 SECONDLY past N requests per second,
    default off), ``rate_limit_per_ten_seconds`` (429 TEN_SECONDLY_ROLLING past N requests in a rolling 10 s),
    ``search_rate_limit_per_second`` (the same for search endpoints only), ``search_result_limit`` (how many
    results a search may page through before HubSpot's 400, default 10,000) and ``missing_scopes`` (scopes the
    token lacks: their endpoints answer 403 MISSING_SCOPES). ``account.RATE_LIMIT_PROFILES["hubspot"]`` holds
    HubSpot's published limits.
    """

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
    ):
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self._token = token
        self._options = {
            "rate_limit_per_second": rate_limit_per_second,
            "search_rate_limit_per_second": search_rate_limit_per_second,
            "search_result_limit": search_result_limit,
            "rate_limit_per_ten_seconds": rate_limit_per_ten_seconds,
            "missing_scopes": tuple(missing_scopes),
        }
        self._store: HubSpotStore | None = None
        self._state: EmulatorState | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.base_url = ""

    def __repr__(self) -> str:  # never shows the token
        return f"HubSpotEmulator(data_dir={str(self.data_dir)!r}, base_url={self.base_url!r})"

    # ------------------------------------------------------------ lifecycle
    def _prepare(self) -> uvicorn.Server:
        if not self.data_dir.is_dir():
            raise FileNotFoundError(f"HubSpot emulator data directory not found: {self.data_dir}")
        self._store = HubSpotStore(self.data_dir)
        self._state = EmulatorState(self._store, self._token, **self._options)
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so; without it every response
        # whose body follows its headers in a second segment waits ~40 ms for the client's delayed ACK
        self._socket = socket.socket(
            socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
        )
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((self.host, self.port))
        self._socket.listen(128)
        bound_port = self._socket.getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{host}:{bound_port}"
        config = uvicorn.Config(
            create_app(self._state),
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        return self._server

    def start(self) -> HubSpotEmulator:
        """Loads the seed data and serves in a background thread; returns once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("HubSpotEmulator is already running")
        try:
            server = self._prepare()
            self._thread = threading.Thread(
                target=server.run,
                kwargs={"sockets": [self._socket]},
                name=f"hubspot-emulator-{self.base_url}",
                daemon=True,
            )
            self._thread.start()
            deadline = time.monotonic() + 30
            while not server.started:
                if not self._thread.is_alive():
                    raise RuntimeError("HubSpot emulator failed to start")
                if time.monotonic() > deadline:
                    raise TimeoutError("HubSpot emulator did not start within 30 s")
                time.sleep(0.01)
            port = int(self.base_url.rsplit(":", 1)[1])
            with socket.create_connection((self.host, port), timeout=5):
                pass
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stops serving, waits for the thread and deletes the temporary database. Safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
            if self._thread.is_alive():  # pragma: no cover - only when a response hangs
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        if self._store is not None:
            self._store.close()
        self._server = self._thread = self._socket = None
        self._store = self._state = None

    def __enter__(self) -> HubSpotEmulator:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # ------------------------------------------------------------ control (same as the /_emulator/ endpoints)
    def _require_state(self) -> EmulatorState:
        if self._state is None:
            raise RuntimeError("HubSpotEmulator is not started")
        return self._state

    def set_faults(self, **faults: Any) -> None:
        """Same keys as POST /_emulator/faults: rate_limit_burst, rate_limit_policy, server_errors,
        server_error_status, slow_seconds, extra_property, missing_scopes, reset."""
        try:
            self._require_state().set_faults(faults)
        except ApiError as exc:
            raise ValueError(exc.message) from None

    def clear_faults(self) -> None:
        self._require_state().reset_faults()

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

    def stats(self) -> dict[str, Any]:
        """{"total": n, "statuses": {"200": n}, "paths": {"/crm/v3/objects/deals": {"200": n, "429": n}}}"""
        return self._require_state().stats_snapshot()

    def reset_stats(self) -> None:
        self._require_state().reset_stats()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve_forever(
    data_dir: Path, token: str = "emulator-token", host: str = "127.0.0.1", port: int = 0, **options: Any
) -> None:
    """Serves the emulator in the foreground until Ctrl-C / SIGTERM; prints the base URL first."""
    emulator = HubSpotEmulator(Path(data_dir), token, host, port, **options)
    in_main_thread = threading.current_thread() is threading.main_thread()
    # uvicorn re-raises the signal it caught once it has shut down: make SIGTERM end like Ctrl-C, so that the
    # temporary database is still removed.
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    try:
        server = emulator._prepare()
        print(emulator.base_url, flush=True)
        print(
            f"HubSpot emulator serving {emulator.data_dir} at {emulator.base_url} (Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        server.run(sockets=[emulator._socket])
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
