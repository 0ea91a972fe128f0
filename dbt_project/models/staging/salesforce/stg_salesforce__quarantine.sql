{{ stage_quarantine('salesforce') }}
