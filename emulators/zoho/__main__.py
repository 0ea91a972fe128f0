"""`python -m emulators.zoho DATA_DIR [--host H] [--port P] [--rate-limits off|zoho] [--certfile C --keyfile K]`:
the Zoho CRM emulator in the foreground; it prints its base URL first. Credentials from $ZOHO_EMULATOR_CLIENT_ID,
$ZOHO_EMULATOR_CLIENT_SECRET, $ZOHO_EMULATOR_REFRESH_TOKEN, $ZOHO_EMULATOR_ACCESS_TOKEN (defaults emulator-*)."""

from __future__ import annotations

import os

from emulators.common.cli import check_tls, emulator_parser
from emulators.zoho.app import RATE_LIMIT_PROFILES
from emulators.zoho.server import serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = emulator_parser("python -m emulators.zoho", __doc__,
                             "the zoho/ seed folder (Deals.jsonl, Stage_History.jsonl, pipelines.json, ...)", tls=True)
    parser.add_argument("--rate-limits", choices=sorted(RATE_LIMIT_PROFILES), default="off")
    parser.add_argument("--daily-credits", type=int, default=None, help="API credits before the 429 (1 per call)")
    args = parser.parse_args(argv)
    check_tls(parser, args)
    limits = dict(RATE_LIMIT_PROFILES[args.rate_limits])
    if args.daily_credits is not None:
        limits["daily_credits"] = args.daily_credits
    serve_forever(
        args.data_dir, args.host, args.port,
        access_token=os.environ.get("ZOHO_EMULATOR_ACCESS_TOKEN", "emulator-token"),
        client_id=os.environ.get("ZOHO_EMULATOR_CLIENT_ID", "emulator-client-id"),
        client_secret=os.environ.get("ZOHO_EMULATOR_CLIENT_SECRET", "emulator-client-secret"),
        refresh_token=os.environ.get("ZOHO_EMULATOR_REFRESH_TOKEN", "emulator-refresh-token"),
        ssl_certfile=args.certfile, ssl_keyfile=args.keyfile, **limits,
    )


if __name__ == "__main__":
    main()
