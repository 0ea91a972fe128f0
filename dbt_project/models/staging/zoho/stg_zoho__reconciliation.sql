{{ stage_reconciliation('zoho') }}
