"""Intake's rules, in plain Python: validation, deduplication, numbering, status."""
