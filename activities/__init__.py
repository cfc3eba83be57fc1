"""Temporal activities: every side effect of a timeline happens here (the event store too).

May import: models.
"""
