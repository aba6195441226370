"""Routing's rules, in plain Python: directory, rule choice, the anonymous policy, action checks."""
