{{ stage_reconciliation('forms') }}
