"""Inspection: answer review, escalations, executor scorecards and the weekly report."""
