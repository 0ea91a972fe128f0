"""`python -m emulators.salesforce DATA_DIR [--host H] [--port P] [--certfile C --keyfile K] [--daily-cap N]`:
the Salesforce emulator in the foreground; it prints its base URL first."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from emulators.salesforce.server import DAILY_CAP, serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulators.salesforce", description=__doc__)
    parser.add_argument(
        "data_dir", type=Path, help="the seed folder: fields.json and one <Object>.jsonl per object"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--certfile", type=Path, help="serve https with this certificate (simple-salesforce needs it)"
    )
    parser.add_argument("--keyfile", type=Path, help="the certificate's private key")
    parser.add_argument("--daily-cap", type=int, default=DAILY_CAP, help="24-hour API request allocation")
    args = parser.parse_args(argv)
    if (args.certfile is None) != (args.keyfile is None):
        parser.error("--certfile and --keyfile go together")
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
