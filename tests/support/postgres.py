"""The throwaway PostgreSQL server of the tests: funnelhouse.warehouse.throwaway_postgres (the demo uses it too)."""
from funnelhouse.warehouse.throwaway_postgres import (  # noqa: F401
    REQUIRE_ENV,
    PostgresServer,
    PostgresUnavailable,
    find_bindir,
    free_port,
    throwaway_postgres,
)
