"""Durations as plan files write them: 10m, 8h, 3d, 2w."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Nothing in a simulation of 1962 waits a century; beyond it a duration is a mistake
# (and soon past what a timedelta can hold).
LONGEST = timedelta(days=36525)


class DurationTooLong(ValueError):
    pass


def parse_duration(text: str) -> timedelta | None:
    """`10m`, `8h`, `1d`, `2w` as a timedelta; None if the text is not such a duration.

    DurationTooLong (a ValueError) if it is longer than a century."""
    match = _DURATION.match(text)
    if match is None:
        return None
    seconds = float(match.group(1)) * _SECONDS[match.group(2)]
    if not seconds <= LONGEST.total_seconds():  # also false for inf and nan
        raise DurationTooLong(f"{text.strip()!r} is longer than a century")
    return timedelta(seconds=seconds)


def _duration(value: object) -> object:
    if isinstance(value, str):
        parsed = parse_duration(value)
        if parsed is None:
            raise ValueError(f"{value!r} is not a duration such as 10m, 8h, 3d")
        return parsed
    return value


def format_duration(value: timedelta) -> str:
    """A duration as a plan file writes it: 8h, 3d, 10m."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[timedelta, BeforeValidator(_duration), PlainSerializer(format_duration, return_type=str)]
