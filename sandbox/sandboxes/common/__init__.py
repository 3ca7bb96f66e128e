"""What both sandboxes share: HTTP serving, clock, fault injection, call stats, child processes."""
