"""`python -m emulators.pipedrive DATA_DIR [--host H] [--port P] [--rate-limits off|pipedrive]`: the emulator
in the foreground; the token is $PIPEDRIVE_EMULATOR_TOKEN (default emulator-token)."""

from __future__ import annotations

import os

from emulators.common.cli import emulator_parser
from emulators.pipedrive.app import RATE_LIMIT_PROFILES
from emulators.pipedrive.server import serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = emulator_parser("python -m emulators.pipedrive", __doc__,
                             "the pipedrive/ seed folder (deals.jsonl, deal_changelog.jsonl, ...)")
    parser.add_argument("--rate-limits", choices=sorted(RATE_LIMIT_PROFILES), default="off")
    parser.add_argument("--burst-limit", type=int, default=None, help="requests per rolling 2 s before a 429")
    parser.add_argument("--daily-budget", type=int, default=None, help="requests before the daily-budget 429")
    args = parser.parse_args(argv)
    limits = dict(RATE_LIMIT_PROFILES[args.rate_limits])
    if args.burst_limit is not None:
        limits["burst_limit"] = args.burst_limit
    if args.daily_budget is not None:
        limits["daily_budget"] = args.daily_budget
    token = os.environ.get("PIPEDRIVE_EMULATOR_TOKEN", "emulator-token")
    serve_forever(args.data_dir, token, args.host, args.port, **limits)


if __name__ == "__main__":
    main()
