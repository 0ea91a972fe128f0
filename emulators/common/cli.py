"""The command line every emulator's `python -m emulators.<vendor>` shares: the seed folder, host, port, TLS."""
from __future__ import annotations

import argparse
from pathlib import Path


def emulator_parser(prog: str, description: str | None, seed_help: str, tls: bool = False) -> argparse.ArgumentParser:
    """A parser with DATA_DIR, --host and --port (and --certfile/--keyfile when the emulator can serve https);
    the vendor adds its own options."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("data_dir", type=Path, help=seed_help)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    if tls:
        parser.add_argument("--certfile", type=Path, help="serve https with this certificate")
        parser.add_argument("--keyfile", type=Path, help="the certificate's private key")
    return parser


def check_tls(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--certfile and --keyfile go together (argparse's one-line usage error otherwise)."""
    if (args.certfile is None) != (args.keyfile is None):
        parser.error("--certfile and --keyfile go together")
