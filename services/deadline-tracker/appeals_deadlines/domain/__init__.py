"""The deadline tracker's rules in plain Python: the working-day calendar and deadline policies."""
