"""Singer tap for Sage Intacct: reads the XML Web Services API, one stream per Intacct object."""
