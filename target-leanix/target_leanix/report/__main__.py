"""`python -m target_leanix.report`: the same as `target-leanix-report`."""

from target_leanix.report.cli import main

raise SystemExit(main())
