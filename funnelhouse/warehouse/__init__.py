"""The warehouse kinds (DuckDB, Postgres, Spark) behind one interface: each adapter is a module of this package."""
