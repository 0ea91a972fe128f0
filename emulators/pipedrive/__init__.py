"""Local emulator of Pipedrive's API (v2 deals and the rest, v1 users, deal changelogs and deal fields) for tests
and the demo, on the harness in emulators.common."""

from emulators.pipedrive.server import PipedriveEmulator, serve_forever

__all__ = ["PipedriveEmulator", "serve_forever"]
