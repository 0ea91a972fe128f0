"""Local emulator of HubSpot's CRM v3 API (objects, search, owners, pipelines) for tests and the demo."""

from emulators.hubspot.server import HubSpotEmulator, serve_forever

__all__ = ["HubSpotEmulator", "serve_forever"]
