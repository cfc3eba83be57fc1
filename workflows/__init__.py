"""Temporal workflow definitions: thin, deterministic shells around the pure core.

May import: models, activities.
"""
