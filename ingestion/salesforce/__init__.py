"""dlt source `salesforce`: users, accounts, contacts, leads, opportunities, their history and stages into
raw_salesforce."""
