"""`python -m emulators.salesforce DATA_DIR [--host H] [--port P] [--certfile C --keyfile K] [--daily-cap N]`:
the Salesforce emulator in the foreground; it prints its base URL first."""

from __future__ import annotations

import os

from emulators.common.cli import check_tls, emulator_parser
from emulators.salesforce.server import DAILY_CAP, serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = emulator_parser("python -m emulators.salesforce", __doc__,
                             "the seed folder: fields.json and one <Object>.jsonl per object", tls=True)
    parser.add_argument("--daily-cap", type=int, default=DAILY_CAP, help="24-hour API request allocation")
    args = parser.parse_args(argv)
    check_tls(parser, args)
    serve_forever(
        args.data_dir,
        args.host,
        args.port,
        session_id=os.environ.get("SALESFORCE_EMULATOR_SESSION_ID", "emulator-token"),
        client_id=os.environ.get("SALESFORCE_EMULATOR_CLIENT_ID", "emulator-client-id"),
        client_secret=os.environ.get("SALESFORCE_EMULATOR_CLIENT_SECRET", "emulator-client-secret"),
        refresh_token=os.environ.get("SALESFORCE_EMULATOR_REFRESH_TOKEN", "emulator-refresh-token"),
        daily_cap=args.daily_cap,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
    )


if __name__ == "__main__":
    main()
