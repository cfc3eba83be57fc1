"""Analysis, for analysts: ensembles, sweeps, discovery, Sobol indices, members tables, plots,
and the notebook API (`from service.analysis import notebook as ax`).

May import: models, timelines, activities, workflows, service.errors, service.runtime,
service.runs, service.reading, service.inputs.
"""
