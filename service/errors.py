"""What can go wrong, sorted by what the user should do about it.

Every failure a user can cause or meet is one of these (or one of the domain's own
errors, which `exit_status` sorts the same way), so that the command line can say it in
one line and exit with a status that scripts can rely on:

- 1: the request was understood and refused, or its input cannot be used (a file, a
  payload, a name or an id, the environment);
- 2: the command line itself is wrong (an unknown command or option, a value that does
  not parse or is out of range);
- 3: no Temporal server could be reached.
"""

from __future__ import annotations


class ExcommError(Exception):
    """A failure to report in one line; `status` is the exit status."""

    status = 1


class Invalid(ExcommError):
    """Input that cannot be used: a file, a payload, a name or an id, the environment."""


class Refused(ExcommError):
    """A well-formed request the state of things does not allow (an id already taken)."""


class BadUsage(ExcommError):
    """The command line itself: an option's value that does not parse or is out of range."""

    status = 2


class Unreachable(ExcommError):
    """No Temporal server to talk to."""

    status = 3


# The domain's and the service's own errors, by where they are defined. An exception
# can only be raised once its module is imported, so only loaded modules are looked at
# (reporting a bad file must not import the Temporal SDK).
_STATUS_OF = (
    ("models.pace", "PaceError", 2),
    ("models.parameters", "BadParameter", 2),
    ("service.runtime.embedded_server", "ServerRefused", 1),  # before its base class
    ("service.runtime.embedded_server", "ServerUnavailable", 3),
    ("timelines.safe_yaml", "FileProblems", 1),
    ("timelines.loader", "UnknownTimeline", 1),
    ("timelines.loader", "NoPlan", 1),
    ("service.runs.branching", "BranchError", 1),
    ("service.runs.lifecycle", "IdTaken", 1),
    ("service.runs.lifecycle", "NotRunning", 1),
    ("activities.event_store", "StoreUnavailable", 1),
    ("activities.private_files", "NotPrivate", 1),
    ("service.runtime.logs", "BadLogLevel", 1),
    ("service.runtime.settings", "HomeUnusable", 1),
    ("service.runtime.connection", "BadConfiguration", 1),  # before its base class
    ("service.runtime.connection", "ConnectionFailed", 3),
)


def exit_status(exc: BaseException) -> int | None:
    """The exit status of an error a user can meet, or None for a bug (a traceback)."""
    import sys

    if isinstance(exc, ExcommError):
        return exc.status
    for module, name, status in _STATUS_OF:
        kind = getattr(sys.modules.get(module), name, None)
        if isinstance(kind, type) and isinstance(exc, kind):
            return status
    return None
