"""dlt source `salesforce`: users, accounts, contacts, leads, opportunities and their stage history into raw_salesforce."""
