"""Local emulator of Salesforce's REST API v62.0 (OAuth token, SOQL query/queryAll, describe, Bulk API 2.0 query)."""

from emulators.salesforce.server import SalesforceEmulator, serve_forever

__all__ = ["SalesforceEmulator", "serve_forever"]
