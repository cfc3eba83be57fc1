"""Runs, for everyone who starts one: a timeline's life on Temporal (ids, starting, following,
status, steering, moves, branches, lineage) and the events of any run.

May import: models, timelines, activities, workflows, service.errors, service.runtime.
"""
