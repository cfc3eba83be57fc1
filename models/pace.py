"""How fast simulated 1962 time runs against the wall clock.

``instant`` jumps from one scheduled instant to the next with no timer at all;
``real`` is one simulated second per real second; a paced ratio is written as
``SIM=REAL``, e.g. ``1d=10s`` (one simulated day every ten real seconds).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.durations import DurationTooLong, parse_duration
from models.errors import ExcommError


class PaceError(ExcommError, ValueError):
    """A pace that cannot be read or is out of bounds."""

    status = 2


class Pace(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: Literal["instant", "paced", "real"]
    ratio: float = Field(default=1.0, gt=0, description="simulated seconds per real second")

    def real_delay(self, simulated: timedelta) -> timedelta:
        """Wall time the clock waits while the simulated clock advances by `simulated`
        (at most LONGEST: a pace that parses never overflows a timedelta)."""
        if self.mode == "instant":
            return timedelta(0)
        try:
            return min(simulated / self.ratio, LONGEST)
        except OverflowError:
            return LONGEST

    def simulated_span(self, real: timedelta) -> timedelta:
        """Simulated time that passes in `real` wall time (at most LONGEST)."""
        if self.mode == "instant":
            return timedelta(0)
        try:
            return min(real * self.ratio, LONGEST)
        except OverflowError:
            return LONGEST

    def __str__(self) -> str:
        if self.mode != "paced":
            return self.mode
        return f"1d={86400 / self.ratio:g}s"


INSTANT = Pace(mode="instant")
# A pace runs simulated time at most this much slower, and this much faster, than real time:
# slower would hold a class for years on one day, faster is instant in all but name.
SLOWEST = 1 / 1_000
FASTEST = 1e9
LONGEST = timedelta(days=100 * 366)  # longer than any wait a timeline could ask for


def _duration(text: str, whole: str) -> float:
    try:
        parsed = parse_duration(text)
    except DurationTooLong as exc:
        raise PaceError(f"invalid pace {whole!r}: {exc}") from None
    if parsed is None:
        raise PaceError(f"invalid pace {whole!r}: {text!r} is not a duration like 1d, 6h, 10s")
    seconds = parsed.total_seconds()
    if seconds <= 0:
        raise PaceError(f"invalid pace {whole!r}: durations must be positive")
    return seconds


def parse_pace(text: str) -> Pace:
    """Parse ``instant``, ``real`` or ``SIM=REAL`` (e.g. ``1d=10s``)."""
    cleaned = text.strip().lower()
    if cleaned in ("instant", "real"):
        return Pace(mode="instant") if cleaned == "instant" else Pace(mode="real")
    simulated, sep, real = cleaned.partition("=")
    if not sep:
        raise PaceError(f"invalid pace {text!r}: use instant, real, or SIM=REAL such as 1d=10s")
    ratio = _duration(simulated, text) / _duration(real, text)
    if ratio < SLOWEST:
        raise PaceError(f"invalid pace {text!r}: at most {1 / SLOWEST:,.0f} times slower than real time")
    if ratio > FASTEST:
        # Past that, instant does the same without a timer.
        raise PaceError(
            f"invalid pace {text!r}: at most {FASTEST:,.0f} times faster than real time (or instant)"
        )
    return Pace(mode="paced", ratio=ratio)
