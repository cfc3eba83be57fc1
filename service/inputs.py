"""What users give, checked once for the command line and the notebook alike.

Each check raises BadUsage in one line naming the input as the command line spells it
(`--seed`, `--at`); the notebook says the same of its parameters (`seed`, `at`), by
`in_parameters`. The bounds are the command line's: a seed travels through Temporal as a
64-bit integer, and an ensemble or a sweep is bounded so that a typo cannot ask for years.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from models.events import EARLIEST_YEAR, LATEST_YEAR
from models.pace import INSTANT, Pace, parse_pace
from models.sides import SIDES, Side
from service.errors import BadUsage

MAX_SEED = 2**63 - 1
MAX_RUNS = 100_000_000
MAX_BATCH = 1_000_000
MAX_WORKERS = 1024
MAX_SEQ = 2**63 - 1
MAX_POINTS = 100_000
SAMPLERS = ("lhs", "sobol", "grid", "saltelli")  # service.analysis.sweep draws each


def instant(text: str, option: str = "--at") -> datetime:
    """An ISO 8601 instant with its UTC offset, inside excomm's calendar."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadUsage(
            f"invalid {option} {text!r}: expected an ISO 8601 instant with offset, "
            "e.g. 1962-10-24T12:00-04:00"
        ) from None
    return aware(value, option, text)


def aware(value: datetime, option: str = "--at", text: str | None = None) -> datetime:
    """A datetime with its UTC offset, inside excomm's calendar."""
    shown = text if text is not None else value.isoformat()
    if value.tzinfo is None:
        raise BadUsage(f"invalid {option} {shown!r}: add the UTC offset, e.g. 1962-10-24T12:00-04:00")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise BadUsage(
            f"invalid {option} {shown!r}: excomm's calendar runs from {EARLIEST_YEAR} to {LATEST_YEAR}"
        )
    return value


def pace(text: str) -> Pace:
    return parse_pace(text) if text else INSTANT


def side(text: str | None, option: str = "--as") -> Side | None:
    if text is None:
        return None
    chosen = text.lower()
    if chosen not in SIDES:
        raise BadUsage(f"invalid {option} {text!r}: use {', '.join(SIDES[:-1])} or {SIDES[-1]}")
    return chosen


def choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BadUsage(f"invalid {option} {value!r}: use {' or '.join(choices)}")
    return value


def bounded(option: str, value: int, low: int, high: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadUsage(f"invalid {option} {value!r}: a whole number")
    if not low <= value <= high:
        raise BadUsage(f"invalid {option} {value}: {why or f'between {low} and {high}'}")
    return value


def seed(value: int, member: int | None = None, ensemble_seed: int | None = None) -> int:
    """The seed to draw with: --seed, or the seed of member N of an ensemble (as `explore
    --members` numbers them, from 0), which the same ensemble seed always gives."""
    bounded("--seed", value, 0, MAX_SEED, f"a seed is from 0 to {MAX_SEED}")
    if member is None:
        if ensemble_seed is not None:
            raise BadUsage("--ensemble-seed S goes with --member N: the member of that ensemble to run")
        return value
    if ensemble_seed is None:
        raise BadUsage("--member N needs --ensemble-seed S, the seed the ensemble was run with")
    if value:
        raise BadUsage("give --seed, or --member with --ensemble-seed, not both")
    bounded("--member", member, 0, MAX_RUNS - 1, "members are numbered from 0, as --members writes them")
    bounded("--ensemble-seed", ensemble_seed, 0, MAX_SEED, f"a seed is from 0 to {MAX_SEED}")
    from models.ensemble import member_seeds

    return member_seeds(ensemble_seed, member + 1)[member]


def json_object(text: str, option: str = "--json") -> dict[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadUsage(f"{option} is not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise BadUsage(f"{option} is nested too deep") from None
    if not isinstance(value, dict):
        raise BadUsage(f"{option} must be a JSON object")
    return value


def ensemble(runs: int, seed_value: int, workers: int | None, local: bool = True, batch: int = 500) -> None:
    """An ensemble's size, seed, worker processes (local: at least one; on Temporal, 0 is
    "the workers already polling") and batch."""
    bounded("--runs", runs, 1, MAX_RUNS, f"an ensemble has from 1 to {MAX_RUNS:,} members")
    seed(seed_value)
    if workers is not None:
        bounded("--workers", workers, 1 if local else 0, MAX_WORKERS)
    bounded("--batch", batch, 1, MAX_BATCH, f"from 1 to {MAX_BATCH:,} members per batch")


def sweep(points: int, sampler: str, runs: int) -> None:
    """A sweep's design: how many points, drawn how, and members in all."""
    bounded("--points", points, 1, MAX_POINTS)
    choice("--sampler", sampler, SAMPLERS)
    if points * runs > MAX_RUNS:
        raise BadUsage(f"--points {points} x --runs {runs}: a sweep runs at most {MAX_RUNS:,} members in all")


def discovery(rules: int, depth: int, min_leaf: float) -> None:
    """How many rules, how many conditions each, and the smallest box a rule may describe."""
    bounded("--rules", rules, 1, 100)
    bounded("--depth", depth, 1, 10)
    if not 0 < min_leaf < 0.5:
        raise BadUsage(
            f"invalid --min-leaf {min_leaf}: a share of the members above 0 and below 0.5, as 0.02"
        )


# The command line's spelling of an input, and the notebook's: `--move 2` is moves[1].
_FLAGS = {
    "set": "settings",
    "vary": "vary",
    "json": "moves",
    "as": "side",
    "after-seq": "after_seq",
    "ensemble-seed": "ensemble_seed",
    "member": "index",
    "members": "the members table",
    "min-leaf": "min_leaf",
}
# What a message quotes (a user's own text, a path) or suggests running is said as it is.
_KEPT = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|\bexcomm [^;:()]*")


def in_parameters(message: str) -> str:
    """A message written for the command line, said of the notebook's parameters."""
    said, last = [], 0
    for kept in _KEPT.finditer(message):
        said += [_renamed(message[last : kept.start()]), kept.group(0)]
        last = kept.end()
    return "".join([*said, _renamed(message[last:])])


def _renamed(text: str) -> str:
    text = text.replace("--members FILE", "a members table (Ensemble.members)")
    text = re.sub(r"--(?:move|json) (\d+)\b", lambda found: f"moves[{int(found.group(1)) - 1}]", text)
    return re.sub(
        r"(?<![\w./-])--([a-z][a-z-]*)",
        lambda found: _FLAGS.get(found.group(1), found.group(1).replace("-", "_")),
        text,
    )
