{{ stage_quarantine('spreadsheets') }}
