"""Local sinks for alert tests: an HTTP server and an SMTP server on 127.0.0.1 that record what they receive."""
from __future__ import annotations

import base64
import binascii
import email
import email.policy
import json
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OK_BODY = b'{"errcode":0,"errmsg":"ok"}'
POLL_SECONDS = 0.01  # how fast serve_forever notices shutdown(); its default (0.5 s) would slow every test
MAX_LINE = 64 * 1024


_HELD: list[socket.socket] = []  # bound, never listening: their ports stay refused until the test process ends


def closed_port() -> int:
    """A port on 127.0.0.1 that refuses connections for the rest of the test session: a socket bound to it and held,
    never listening (Linux answers a connection to it with RST). A port bound and then released could be taken by
    another process before the test connects, and then answer."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    _HELD.append(probe)
    return probe.getsockname()[1]


@dataclass(frozen=True)
class HttpRequest:
    """One request the HTTP sink received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class _BackgroundServer:
    """A socketserver on 127.0.0.1 (free port) serving from a daemon thread while used as a context manager."""

    def _serve(self, server: socketserver.BaseServer, name: str) -> None:
        self._lock = threading.Lock()
        self._server = server
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), name=name,
                                        daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class HttpSink(_BackgroundServer):
    """A threaded HTTP server on 127.0.0.1 (free port) recording every request; answers `status` with `body`."""

    def __init__(self, status: int = 200, body: bytes | str = OK_BODY,
                 content_type: str = "application/json") -> None:
        self.status, self.content_type = status, content_type
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.requests: list[HttpRequest] = []
        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class()), "http-sink")

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _record(self, request: HttpRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._record_and_answer()

            def do_GET(self) -> None:
                self._record_and_answer()

            def _record_and_answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                sink._record(HttpRequest(method=self.command, path=parts.path, query=parse_qs(parts.query),
                                         headers={k.lower(): v for k, v in self.headers.items()},
                                         body=self.rfile.read(length)))
                self.send_response(sink.status)
                self.send_header("Content-Type", sink.content_type)
                self.send_header("Content-Length", str(len(sink.body)))
                self.end_headers()
                self.wfile.write(sink.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@dataclass
class SmtpMessage:
    """One message the SMTP sink accepted: envelope, raw bytes and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    authenticated_as: str | None = None
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        # SMTP carries CRLF line ends; parse with the \n the default policy (and Python strings) use
        normalised = self.data.replace(b"\r\n", b"\n")
        self.message = email.message_from_bytes(normalised, policy=email.policy.default)  # type: ignore[assignment]


@dataclass
class _Session:
    helo: bool = False
    user: str | None = None
    mail_from: str | None = None
    rcpt_tos: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.mail_from, self.rcpt_tos = None, []


class SmtpSink(_BackgroundServer):
    """A minimal SMTP server on 127.0.0.1 (free port): EHLO/HELO, AUTH PLAIN/LOGIN (when credentials are
    given, and then required), MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, QUIT; records accepted messages."""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.credentials = credentials
        self.messages: list[SmtpMessage] = []
        self.auth_attempts: list[tuple[str, str]] = []
        self._serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler_class()), "smtp-sink")

    def _record(self, message: SmtpMessage) -> None:
        with self._lock:
            self.messages.append(message)

    def _check_login(self, user: str, password: str) -> bool:
        with self._lock:
            self.auth_attempts.append((user, password))
        return self.credentials == (user, password)

    def _handler_class(self) -> type[socketserver.StreamRequestHandler]:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 10

            def handle(self) -> None:
                session = _Session()
                self._reply("220 sink.local ESMTP ready")
                while True:
                    line = self._read_line()
                    if line is None:
                        return
                    verb, _, argument = line.partition(" ")
                    if self._dispatch(session, verb.upper(), argument.strip()) == "quit":
                        return

            def _dispatch(self, session: _Session, verb: str, argument: str) -> str | None:
                if verb == "EHLO":
                    session.helo = True
                    auth = ["AUTH PLAIN LOGIN"] if sink.credentials else []
                    self._reply_multi(250, ["sink.local", "8BITMIME", *auth, "HELP"])
                elif verb == "HELO":
                    session.helo = True
                    self._reply("250 sink.local")
                elif verb == "AUTH":
                    self._auth(session, argument)
                elif verb == "MAIL":
                    self._mail(session, argument)
                elif verb == "RCPT":
                    self._rcpt(session, argument)
                elif verb == "DATA":
                    self._data(session)
                elif verb == "RSET":
                    session.reset()
                    self._reply("250 OK")
                elif verb == "NOOP":
                    self._reply("250 OK")
                elif verb == "QUIT":
                    self._reply("221 Bye")
                    return "quit"
                else:
                    self._reply("502 5.5.2 Command not implemented")
                return None

            def _auth(self, session: _Session, argument: str) -> None:
                mechanism, _, initial = argument.partition(" ")
                if not sink.credentials or mechanism.upper() not in ("PLAIN", "LOGIN"):
                    self._reply("504 5.5.4 Unrecognized authentication type")
                    return
                try:
                    user, password = (self._auth_plain(initial) if mechanism.upper() == "PLAIN"
                                      else self._auth_login(initial))
                except (ValueError, binascii.Error, TypeError):
                    self._reply("501 5.5.2 Cannot decode response")
                    return
                if sink._check_login(user, password):
                    session.user = user
                    self._reply("235 2.7.0 Authentication successful")
                else:
                    self._reply("535 5.7.8 Authentication credentials invalid")

            def _auth_plain(self, initial: str) -> tuple[str, str]:
                if not initial:
                    self._reply("334 ")
                    initial = self._read_line() or ""
                _, user, password = base64.b64decode(initial, validate=True).decode("utf-8").split("\0")
                return user, password

            def _auth_login(self, initial: str) -> tuple[str, str]:
                if not initial:
                    self._reply("334 " + base64.b64encode(b"Username:").decode())
                    initial = self._read_line() or ""
                user = base64.b64decode(initial, validate=True).decode("utf-8")
                self._reply("334 " + base64.b64encode(b"Password:").decode())
                password = base64.b64decode(self._read_line() or "", validate=True).decode("utf-8")
                return user, password

            def _mail(self, session: _Session, argument: str) -> None:
                if not session.helo:
                    self._reply("503 5.5.1 Say EHLO first")
                elif sink.credentials and not session.user:
                    self._reply("530 5.7.0 Authentication required")
                elif not argument.upper().startswith("FROM:"):
                    self._reply("501 5.5.4 Syntax: MAIL FROM:<address>")
                else:
                    session.reset()
                    session.mail_from = _address(argument[5:])
                    self._reply("250 2.1.0 OK")

            def _rcpt(self, session: _Session, argument: str) -> None:
                if session.mail_from is None:
                    self._reply("503 5.5.1 Need MAIL first")
                elif not argument.upper().startswith("TO:"):
                    self._reply("501 5.5.4 Syntax: RCPT TO:<address>")
                else:
                    session.rcpt_tos.append(_address(argument[3:]))
                    self._reply("250 2.1.5 OK")

            def _data(self, session: _Session) -> None:
                if session.mail_from is None or not session.rcpt_tos:
                    self._reply("503 5.5.1 Need MAIL and RCPT first")
                    return
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines: list[bytes] = []
                while True:
                    raw = self.rfile.readline(MAX_LINE)
                    if not raw:
                        return
                    if raw in (b".\r\n", b".\n"):
                        break
                    lines.append(raw[1:] if raw.startswith(b"..") else raw)
                sink._record(SmtpMessage(mail_from=session.mail_from, rcpt_tos=list(session.rcpt_tos),
                                         data=b"".join(lines), authenticated_as=session.user))
                session.reset()
                self._reply("250 2.0.0 OK queued")

            def _read_line(self) -> str | None:
                raw = self.rfile.readline(MAX_LINE)
                return raw.decode("utf-8", errors="replace").rstrip("\r\n") if raw else None

            def _reply(self, line: str) -> None:
                self.wfile.write(line.encode("utf-8") + b"\r\n")
                self.wfile.flush()

            def _reply_multi(self, code: int, lines: list[str]) -> None:
                for position, line in enumerate(lines):
                    self._reply(f"{code}{' ' if position == len(lines) - 1 else '-'}{line}")

        return Handler


def _address(argument: str) -> str:
    """The address in `<name@domain> [params]` (MAIL FROM / RCPT TO argument)."""
    argument = argument.strip()
    if argument.startswith("<"):
        return argument[1: argument.find(">")] if ">" in argument else argument[1:]
    return argument.split(" ")[0]
