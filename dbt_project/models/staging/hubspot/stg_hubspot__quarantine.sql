{{ stage_quarantine('hubspot') }}
