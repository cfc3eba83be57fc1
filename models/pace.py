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


class PaceError(ValueError):
    pass


class Pace(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: Literal["instant", "paced", "real"]
    ratio: float = Field(default=1.0, gt=0, description="simulated seconds per real second")

    def real_delay(self, simulated: timedelta) -> timedelta:
        """Wall time the clock waits while the simulated clock advances by `simulated`."""
        if self.mode == "instant":
            return timedelta(0)
        return simulated / self.ratio

    def simulated_span(self, real: timedelta) -> timedelta:
        """Simulated time that passes in `real` wall time."""
        if self.mode == "instant":
            return timedelta(0)
        return real * self.ratio

    def __str__(self) -> str:
        if self.mode != "paced":
            return self.mode
        return f"1d={86400 / self.ratio:g}s"


INSTANT = Pace(mode="instant")


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
    return Pace(mode="paced", ratio=_duration(simulated, text) / _duration(real, text))
