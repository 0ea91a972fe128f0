"""Serving an emulator with uvicorn: in a background thread (tests) or in the foreground (`serve_in_foreground`).

A vendor subclasses `EmulatorServer` and writes `_build()` (load the seed folder, return the Starlette app and its
EmulatorState) and, when it holds files or connections, `_release()`. Given `ssl_certfile` and `ssl_keyfile` the
server speaks https and `base_url` starts with https:// (simple-salesforce talks only https).
Control from Python mirrors the `/_emulator/*` routes: `set_faults`, `clear_faults`, `stats`, `reset_stats`.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from emulators.common.state import EmulatorState
from emulators.common.vendor import ApiError


class EmulatorServer:
    """A local vendor API on 127.0.0.1 seeded from a data directory; a context manager:
    ``with SomeEmulator(path).start() as emulator: httpx.get(emulator.base_url + ...)``."""

    vendor_name = "Emulator"  # in messages: "<vendor_name> emulator data directory not found: ..."

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_certfile: str | Path | None = None,
        ssl_keyfile: str | Path | None = None,
    ):
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.ssl_certfile = None if ssl_certfile is None else str(ssl_certfile)
        self.ssl_keyfile = None if ssl_keyfile is None else str(ssl_keyfile)
        self._state: EmulatorState | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.base_url = ""

    def __repr__(self) -> str:  # never shows a token
        return f"{type(self).__name__}(data_dir={str(self.data_dir)!r}, base_url={self.base_url!r})"

    # ------------------------------------------------------------ what a vendor writes
    def _build(self) -> tuple[Starlette, EmulatorState]:
        """Loads the seed (raising a clear error when it is wrong) and returns the app and its state."""
        raise NotImplementedError

    def _release(self) -> None:
        """Frees what `_build` opened (a temporary database); called by stop(), also after a failed start."""

    # ------------------------------------------------------------ lifecycle
    def _prepare(self) -> uvicorn.Server:
        if not self.data_dir.is_dir():
            raise FileNotFoundError(f"{self.vendor_name} emulator data directory not found: {self.data_dir}")
        app, self._state = self._build()
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
        scheme = "https" if self.ssl_certfile else "http"
        self.base_url = f"{scheme}://{host}:{bound_port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=5,
            ssl_certfile=self.ssl_certfile,
            ssl_keyfile=self.ssl_keyfile,
        )
        self._server = uvicorn.Server(config)
        return self._server

    def start(self):
        """Loads the seed data and serves in a background thread; returns self once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        try:
            server = self._prepare()
            self._thread = threading.Thread(
                target=server.run,
                kwargs={"sockets": [self._socket]},
                name=f"{self.vendor_name.lower()}-emulator-{self.base_url}",
                daemon=True,
            )
            self._thread.start()
            deadline = time.monotonic() + 30
            while not server.started:
                if not self._thread.is_alive():
                    raise RuntimeError(f"{self.vendor_name} emulator failed to start")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.vendor_name} emulator did not start within 30 s")
                time.sleep(0.01)
            port = int(self.base_url.rsplit(":", 1)[1])
            with socket.create_connection((self.host, port), timeout=5):
                pass
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stops serving, waits for the thread and releases the store. Safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
            if self._thread.is_alive():  # pragma: no cover - only when a response hangs
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._release()
        self._server = self._thread = self._socket = None
        self._state = None

    def __enter__(self):
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # ------------------------------------------------------------ control (same as the /_emulator/ routes)
    def _require_state(self) -> EmulatorState:
        if self._state is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._state

    def set_faults(self, **faults: Any) -> None:
        """Same keys as POST /_emulator/faults (emulators.common.state); ValueError when one is wrong."""
        try:
            self._require_state().set_faults(faults)
        except ApiError as exc:
            raise ValueError(exc.message) from None

    def clear_faults(self) -> None:
        self._require_state().reset_faults()

    def stats(self) -> dict[str, Any]:
        """{"total": n, "statuses": {"200": n}, "paths": {"/path": {"200": n, "429": n}}} (+ "routes")"""
        return self._require_state().stats_snapshot()

    def reset_stats(self) -> None:
        self._require_state().reset_stats()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve_in_foreground(emulator: EmulatorServer) -> None:
    """Serves until Ctrl-C / SIGTERM; prints the base URL on stdout first, a line for people on stderr."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    # uvicorn re-raises the signal it caught once it has shut down: make SIGTERM end like Ctrl-C, so that the
    # store is still released.
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    try:
        server = emulator._prepare()
        print(emulator.base_url, flush=True)
        print(
            f"{emulator.vendor_name} emulator serving {emulator.data_dir} at {emulator.base_url} (Ctrl-C to stop)",
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
