"""`python -m emulators.fxiaoke DATA_DIR [--host H] [--port P] [--rate-limits off|fxiaoke]`: the emulator in the
foreground; the app's credentials are $FXIAOKE_EMULATOR_APP_ID, $FXIAOKE_EMULATOR_APP_SECRET,
$FXIAOKE_EMULATOR_PERMANENT_CODE and its corpId $FXIAOKE_EMULATOR_CORP_ID (defaults in emulators/fxiaoke/server.py)."""

from __future__ import annotations

import os

from emulators.common.cli import emulator_parser
from emulators.fxiaoke.app import RATE_LIMIT_PROFILES
from emulators.fxiaoke.server import APP_ID, APP_SECRET, CORP_ID, PERMANENT_CODE, serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = emulator_parser("python -m emulators.fxiaoke", __doc__,
                             "the fxiaoke/ seed folder (NewOpportunityObj.jsonl, describe/, employees.jsonl, ...)")
    parser.add_argument("--rate-limits", choices=sorted(RATE_LIMIT_PROFILES), default="off")
    parser.add_argument("--route-limit", type=int, default=None, help="calls per 20 s on one route before 30004")
    parser.add_argument("--daily-budget", type=int, default=None, help="calls before the daily 30002")
    args = parser.parse_args(argv)
    limits = dict(RATE_LIMIT_PROFILES[args.rate_limits])
    if args.route_limit is not None:
        limits["route_limit"] = args.route_limit
    if args.daily_budget is not None:
        limits["daily_budget"] = args.daily_budget
    env = os.environ.get
    serve_forever(args.data_dir, args.host, args.port,
                  app_id=env("FXIAOKE_EMULATOR_APP_ID", APP_ID),
                  app_secret=env("FXIAOKE_EMULATOR_APP_SECRET", APP_SECRET),
                  permanent_code=env("FXIAOKE_EMULATOR_PERMANENT_CODE", PERMANENT_CODE),
                  corp_id=env("FXIAOKE_EMULATOR_CORP_ID", CORP_ID), **limits)


if __name__ == "__main__":
    main()
