"""dlt source `pipedrive`: deals and their stage changes, pipelines, stages, persons, organizations and users
into raw_pipedrive."""
