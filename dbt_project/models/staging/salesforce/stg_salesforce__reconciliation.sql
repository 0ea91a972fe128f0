{{ stage_reconciliation('salesforce') }}
