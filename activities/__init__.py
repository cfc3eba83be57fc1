"""Temporal activities: every side effect of a timeline happens here."""
