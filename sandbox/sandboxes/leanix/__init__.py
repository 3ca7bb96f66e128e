"""leanix-sandbox: a loopback SAP LeanIX workspace (MTM, Integration API, GraphQL)."""
