"""The bench: how far the pipeline (dlt → DuckDB → dbt → checks) is from the fastest way to compute the same marts.

    python -m bench --scale 25          # or: funnelhouse bench --scale 25

On data from `funnelhouse generate` at the given scale it times, and records the peak memory (RSS of the process
tree) of, each variant in its own process:

  lower_bound    bench/sql/lower_bound.sql: one DuckDB script from the raw files to the core marts
  pipeline_full  ingestion (per source), dbt build --full-refresh, the GX checks, each step timed
  dbt_raw        the SQL dbt compiled for that build, run directly in DuckDB (dbt's own overhead)
  incremental    1 % of the deals changed and new files added, then ingestion, dbt build, checks
  pandas         the same core marts in pandas from the same raw files

then checks that the lower bound and pandas computed the pipeline's numbers, prints the ratios against the goals,
and writes bench/results/<timestamp>_scale<N>.json and .md with the machine's cores and memory.
"""
