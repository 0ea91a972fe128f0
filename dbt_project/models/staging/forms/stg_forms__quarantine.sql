{{ stage_quarantine('forms') }}
