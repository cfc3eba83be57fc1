"""The classroom, for educators and their classes: the web app, its live feeds, what a page
shows of a run (lessons, charts), its limits, templates and static files.

May import: models, timelines, activities, workflows, service.errors, service.runtime,
service.runs, service.reading.
"""
