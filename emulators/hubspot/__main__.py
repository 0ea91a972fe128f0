"""`python -m emulators.hubspot DATA_DIR [--host H] [--port P]`: the emulator in the foreground."""

from __future__ import annotations

import os

from emulators.common.cli import emulator_parser
from emulators.hubspot.account import RATE_LIMIT_PROFILES
from emulators.hubspot.server import serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = emulator_parser("python -m emulators.hubspot", __doc__,
                             "directory with owners.jsonl, pipelines.json, *.jsonl objects")
    parser.add_argument("--rate-limits", choices=sorted(RATE_LIMIT_PROFILES), default="off")
    parser.add_argument("--rate-limit-per-second", type=int, default=None)
    parser.add_argument("--missing-scope", action="append", default=[], help="a scope the token lacks (403)")
    args = parser.parse_args(argv)
    token = os.environ.get("HUBSPOT_EMULATOR_TOKEN", "emulator-token")
    limits = dict(RATE_LIMIT_PROFILES[args.rate_limits])
    if args.rate_limit_per_second is not None:
        limits["rate_limit_per_second"] = args.rate_limit_per_second
    serve_forever(args.data_dir, token, args.host, args.port, missing_scopes=tuple(args.missing_scope), **limits)


if __name__ == "__main__":
    main()
