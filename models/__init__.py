"""The domain of October 1962: events, the world state fold, timelines. Pure: no I/O.

May import: nothing else of the project.
"""
