"""Move patterns for `wait`: which mailbox a pattern listens to, and whether a move matches."""

from __future__ import annotations

from models.moves import AlliedAnswer, Incident, Move, SovietReply
from models.steps import MovePattern


def pattern_mailbox(pattern: MovePattern) -> str:
    if pattern.move == "soviet_reply":
        return f"track:{pattern.track}"
    if pattern.move == "allied_answer":
        return f"ally:{pattern.ally}"
    return "incidents"


def matches(pattern: MovePattern, move: Move) -> bool:
    if move.kind != pattern.move:
        return False
    wanted: dict[str, str | None] = {"answer": pattern.answer}
    if isinstance(move, SovietReply):
        wanted["track"] = pattern.track
    elif isinstance(move, AlliedAnswer):
        wanted["ally"] = pattern.ally
    elif isinstance(move, Incident):
        wanted = {"incident": pattern.incident}
    return all(expected is None or getattr(move, key, None) == expected for key, expected in wanted.items())
