"""The service layer, in rooms by whom they serve: runtime (operators), runs (everyone who
starts one), reading (designers, educators), analysis (analysts), classroom (educators).
service.errors is shared by every room; service.processes composes rooms into the
long-running processes an operator starts. Each room's __init__ says what it may import.

May import: models, timelines, activities, workflows, service.runtime, service.runs,
service.reading, service.analysis, service.classroom.
"""
