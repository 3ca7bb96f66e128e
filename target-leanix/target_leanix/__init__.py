"""Singer target that maps Sage Intacct spend to SAP LeanIX services, costs and invoices."""
