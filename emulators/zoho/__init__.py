"""Local emulator of Zoho CRM's API v8 (records, Stage_History, deleted records, pipelines, users, COQL) and of the
accounts server's token endpoint, on the harness in emulators.common. Seed folder format and routes:
emulators/zoho/README.md."""

from emulators.zoho.server import ZohoEmulator, serve_forever

__all__ = ["ZohoEmulator", "serve_forever"]
