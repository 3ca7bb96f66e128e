"""The Sage Intacct sandbox: an XML Web Services gateway over a deterministic demo company."""
