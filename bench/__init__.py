"""The bench: how far the pipeline (dlt → DuckDB → dbt → checks) is from the fastest way to compute the same marts.

    python -m bench --scale 25          # or: funnelhouse bench --scale 25

On data from `funnelhouse generate` at the given scale it times, and records the peak memory (RSS of the process
tree) of, each variant in its own process:

  lower_bound    bench/sql/lower_bound.sql: one DuckDB script from the raw files to the core marts
  pipeline_full  ingestion (per source), dbt build --full-refresh, the GX checks, each step timed
  dbt_raw        the SQL dbt compiled for that build, run directly in DuckDB (dbt's own overhead)
  floor          the pipeline's work by the fastest means: every input read once by native readers, the same
                 HubSpot pages by a bare concurrent client, the compiled dbt SQL as one script (bench/floor.py)
  incremental    1 % of the deals changed and new files added, then ingestion, dbt build, checks
  pandas         the same core marts in pandas from the same raw files

then checks that the lower bound, the floor and pandas computed the pipeline's numbers, prints the figures of issue
15's goal table (wall and CPU seconds per step, HubSpot requests, peak memory of every step),
and writes bench/results/<timestamp>_scale<N>.json and .md with the machine's cores and memory.
"""
