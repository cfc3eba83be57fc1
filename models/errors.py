"""The root of every error a user can cause or meet, wherever in the house it is raised.

The domain, the loader, the stores and the service layer each define their own errors, all
kinds of ExcommError: a notebook catches one class, and the command line says any of them
in one line with its `status` (service.errors lists what the statuses mean).
"""

from __future__ import annotations


class ExcommError(Exception):
    """A failure to report in one line; `status` is the command line's exit status
    (1 refused or invalid input, 2 usage, 3 no server)."""

    status = 1
