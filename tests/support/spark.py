"""A local Spark warehouse for tests: skip without Java (fail with FUNNELHOUSE_REQUIRE_SPARK=1)."""
from __future__ import annotations

import os

import pytest

REQUIRE_ENV = "FUNNELHOUSE_REQUIRE_SPARK"  # "1": fail instead of skipping when Java is missing (CI)


def require_spark() -> None:
    """Skip the calling test (fail when env FUNNELHOUSE_REQUIRE_SPARK=1) when no Java runtime is found."""
    from funnelhouse.warehouse.spark_session import require_java
    from ingestion.common.errors import FunnelhouseError

    try:
        require_java()
    except FunnelhouseError as error:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{error} ({REQUIRE_ENV}=1)")
        pytest.skip(str(error))
