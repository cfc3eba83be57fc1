"""Admission: whether a move can be taken, decided in one place.

Every way a move enters a timeline goes through here: the `move` signal and the
`submit_move` update of a running timeline (and its validator), `excomm branch`, and the
scripted moves of plan and timeline files (`vocabulary_problems`, which `excomm validate`
reports at their line). A move is taken only if:

- its kind and fields are valid, and its instants are Washington time with the right offset;
- it names a track, an ally and terms the timeline knows (models.vocabulary);
- it is not in the simulated past, and no side learns of it before it happens;
- its track or consultation is still open, and a Soviet reply does not come after the
  crisis has ended in military action; under the engine's rules 3, the world's rules for
  acts decide this, by what its side knew (models.causality): a reply answers a message
  that had reached its side, an ally answers an open consultation once;
- the timeline has not finished;
- it is no larger than a move may be, and the timeline's history has room for it
  (models.move_limits).

Whatever else breaks while a malformed move is looked at is a refusal too, never an
exception that escapes: a move must not be able to fail a workflow task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import vocabulary
from models.causality import World, refusal
from models.move_limits import history_full, oversize
from models.moves import AlliedAnswer, InvalidMove, Move, SovietReply, parse_move
from models.plan import PlanDefinition
from models.sides import LEARNED_FIELDS
from models.state import WorldState
from models.trusted import replace


@dataclass(frozen=True)
class Situation:
    """What admission looks at: the timeline's plan, its world, its clock."""

    plan: PlanDefinition | None
    state: WorldState
    clock: datetime
    finished: bool = False
    # How large the timeline's history has grown (bytes), where it is a durable one; and
    # whether the bounds of models.move_limits apply (not to a timeline that admitted
    # moves before they existed, which replays as it ran).
    history_bytes: int | None = None
    limits: bool = True
    # Under the engine's rules 3, the world the move would enter (the running engine, or
    # the log at a branch's fork): the rules for acts read what each side knew in it.
    world: World | None = None


Path = tuple[str | int, ...]


def field_name(path: Path) -> str:
    """A field path as a designer reads it: `moves[2].terms[0]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def vocabulary_problems(move: Move, plan: PlanDefinition | None) -> list[tuple[Path, str, str]]:
    """What a move names that the timeline does not know: (field path, code, reason)."""
    problems: list[tuple[Path, str, str]] = []
    if isinstance(move, SovietReply):
        known = vocabulary.tracks(plan)
        if move.track not in known:
            reason = f"unknown track {move.track!r} ({vocabulary.near(move.track, known)})"
            problems.append((("track",), "E-UNKNOWN-TRACK", reason))
    if isinstance(move, AlliedAnswer):
        known = vocabulary.allies(plan)
        if move.ally not in known:
            reason = f"unknown ally {move.ally!r} ({vocabulary.near(move.ally, known)})"
            problems.append((("ally",), "E-UNKNOWN-ALLY", reason))
    if isinstance(move, SovietReply | AlliedAnswer):
        problems += term_problems(move.terms, plan)
    return problems


def term_problems(terms: tuple[str, ...], plan: PlanDefinition | None) -> list[tuple[Path, str, str]]:
    known = vocabulary.terms(plan)
    return [
        (("terms", index), "E-UNKNOWN-TERM", f"unknown term {term!r} ({vocabulary.near(term, known)})")
        for index, term in enumerate(terms)
        if term not in known
    ]


def admit(payload: object, situation: Situation) -> Move:
    """The move, placed in simulated time, or InvalidMove saying in one line why not."""
    try:
        return _admit(payload, situation)
    except InvalidMove:
        raise
    except Exception as exc:  # whatever a malformed move breaks is a refusal, not a failure
        raise InvalidMove(f"the move cannot be taken ({type(exc).__name__}: {exc})") from None


def _admit(payload: object, situation: Situation) -> Move:
    if situation.limits:
        too_large = oversize(payload) or history_full(situation.history_bytes)
        if too_large is not None:
            raise InvalidMove(too_large)
    move = parse_move(payload)
    if situation.finished:
        raise InvalidMove("the timeline has finished")
    for path, _, reason in vocabulary_problems(move, situation.plan):
        raise InvalidMove(f"{field_name(path)}: {reason}")
    at = move.at or situation.clock
    if at < situation.clock:
        raise InvalidMove(
            f"at {at.isoformat()} is in the simulated past (the clock is at {situation.clock.isoformat()})"
        )
    for field in LEARNED_FIELDS.values():
        learned = getattr(move, field)
        if learned is not None and learned < at:
            raise InvalidMove(f"{field} {learned.isoformat()} is before the move's at {at.isoformat()}")
    placed = move if move.at is not None else replace(move, at=at)
    if situation.world is not None:
        # The engine's rules 3: the world's own rules for acts, as they will be applied
        # again when the move comes due (models.causality).
        refused = refusal(placed, situation.world)
        if refused is not None:
            raise InvalidMove(refused)
        return placed
    state = situation.state
    if isinstance(move, SovietReply):
        status = state.tracks.get(move.track)
        if status not in (None, "open"):
            raise InvalidMove(f"the {move.track} track is closed ({status})")
        if state.outcome == "military_action":
            raise InvalidMove("the crisis has ended in military action")
    if isinstance(move, AlliedAnswer):
        status = state.allies.get(move.ally)
        if status not in (None, "consulted"):
            raise InvalidMove(f"the consultation with {move.ally} is closed ({status})")
    # Validated above; placing it at the clock changes nothing else the model checks.
    return placed
