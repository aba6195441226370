"""Notification's rules in plain Python: who is told what, and in which language."""
