"""The catalogue of timelines, their primary sources, and the loader that validates them.

May import: models.
"""
