{{ stage_reconciliation('hubspot') }}
