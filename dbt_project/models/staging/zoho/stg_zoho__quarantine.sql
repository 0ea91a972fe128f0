{{ stage_quarantine('zoho') }}
