"""The review report for the LeanIX admin: one self-contained HTML page read from the ledger alone.

`model` holds its data types, `data` reads the ledger, `rules` suggests the recognition rules that
would change a decision, `plan` counts and ranks the publisher's changes, `svg` draws the charts,
`render` writes the page, `build` puts them together and `cli` is `target-leanix-report`
(`python -m target_leanix.report`).
"""
