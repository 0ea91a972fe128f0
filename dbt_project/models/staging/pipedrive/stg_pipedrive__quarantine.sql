{{ stage_quarantine('pipedrive') }}
