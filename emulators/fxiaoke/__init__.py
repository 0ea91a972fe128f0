"""Local emulator of fxiaoke's (纷享销客) open platform (corpAccessToken, /cgi/crm/v2/data/query, object describe,
address book) for tests and the demo, on the harness in emulators.common; seed format in README.md."""

from emulators.fxiaoke.server import FxiaokeEmulator, serve_forever

__all__ = ["FxiaokeEmulator", "serve_forever"]
