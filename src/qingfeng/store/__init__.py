"""The workflow store: users, organisations, warnings and their history, runs, the audit log."""
