"""The two sides of the crisis, each with its own knowledge of what happened and when."""

from __future__ import annotations

from typing import Literal

Side = Literal["washington", "moscow"]
SIDES: tuple[Side, ...] = ("washington", "moscow")
