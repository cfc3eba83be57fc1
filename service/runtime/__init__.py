"""The runtime, for operators: settings and the home, logs, Temporal connections, the embedded
and on-demand dev servers, ports, search attributes and workers.

May import: models, activities, workflows, service.errors.
"""
