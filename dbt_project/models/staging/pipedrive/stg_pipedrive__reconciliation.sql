{{ stage_reconciliation('pipedrive') }}
