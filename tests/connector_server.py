"""A tiny local HTTP server for the connector tests: each route a function of the request, every request logged."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request as the server got it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, list[str]] = field(default_factory=dict)


# a route answers (status, headers, JSON body)
Route = Callable[[Seen], tuple[int, dict[str, str], Any]]


class TinyServer:
    """`with TinyServer({"GET /path": route, ...}) as server:` serves on 127.0.0.1 at `server.url`."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.seen: list[Seen] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                seen = Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()),
                            parse_qs(body) if "form-urlencoded" in (self.headers.get("Content-Type") or "") else {})
                outer.seen.append(seen)
                route = outer.routes.get(f"{self.command} {parts.path}")
                status, headers, payload = route(seen) if route else (404, {}, {"message": "no such route"})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> TinyServer:
        self._thread.start()
        return self

    def __exit__(self, *args: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths(self) -> list[str]:
        return [f"{seen.method} {seen.path}" for seen in self.seen]
