"""Great Expectations suites, written as code, validating DataFrames read from the warehouse."""
