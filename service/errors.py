"""What can go wrong, sorted by what the user should do about it.

Every failure a user can cause or meet is an ExcommError (models.errors): one of these,
or one of the domain's, the loader's, the stores' or the runtime's own kinds of it, so
that a notebook catches one class and the command line says it in one line and exits
with a status that scripts can rely on:

- 1: the request was understood and refused, or its input cannot be used (a file, a
  payload, a name or an id, the environment);
- 2: the command line itself is wrong (an unknown command or option, a value that does
  not parse or is out of range);
- 3: no Temporal server could be reached.
"""

from __future__ import annotations

from models.errors import ExcommError

__all__ = ["BadUsage", "ExcommError", "Invalid", "Refused", "Unreachable", "exit_status"]


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


def exit_status(exc: BaseException) -> int | None:
    """The exit status of an error a user can meet, or None for a bug (a traceback)."""
    return exc.status if isinstance(exc, ExcommError) else None
