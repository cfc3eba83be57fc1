"""Reading, for designers and educators: plans and timelines as data, texts, drawings,
comparisons and exports (chronicle, TimelineJS, calendar, spreadsheet, handout).

May import: models, timelines, activities, workflows, service.errors, service.runtime, service.runs.
"""
