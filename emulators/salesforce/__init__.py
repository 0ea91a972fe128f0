"""Local emulator of Salesforce's REST API v62.0, seeded from a `salesforce/` folder (fields.json + <Object>.jsonl).

Routes: `POST /services/oauth2/token` (client_credentials, refresh_token), `GET /services/data/` (versions),
under `/services/data/v62.0/`: `query?q=`, `query/<locator>-<offset>`, `queryAll?q=`, `limits`, `sobjects`,
`sobjects/<Object>/describe`, `POST jobs/query`, `GET jobs/query/<id>`, `GET jobs/query/<id>/results`.
Faults and stats come from the harness (`/_emulator/faults`: expired_token, server_errors, slow_seconds,
rate_limit_burst, and added_field for schema drift; `/_emulator/stats` counts per route); record edits for
incremental runs: `POST|DELETE /_emulator/records/<Object>/<Id>` (or `update_record` / `delete_record`).
"""

from emulators.salesforce.server import SalesforceEmulator, serve_forever

__all__ = ["SalesforceEmulator", "serve_forever"]
