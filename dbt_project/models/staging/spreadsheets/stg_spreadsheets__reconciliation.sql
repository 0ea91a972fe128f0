{{ stage_reconciliation('spreadsheets') }}
