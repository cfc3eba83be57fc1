"""Drill: property-based fuzzing of what reads a user's input, for a fixed time.

    python -m bench.drills.fuzz [--minutes 10]

Feeds hypothesis-generated input, in turn, to:
- the plan and timeline loader: the shipped files mutated (lines dropped, doubled,
  swapped; YAML punctuation, huge numbers, odd bytes spliced in) and documents rebuilt
  from the shipped ones with fields removed, added or given other values;
- what a command takes for a timeline (a catalogue name or a path);
- the move parser and the admission of a move, on a plan's timeline and on the record;
- the parsers of `--at`, `--pace` and durations.

Each input must give a result or one of excomm's own errors (those the command line
reports in one line: service.errors.exit_status), within a few seconds (a hang). A move
refused only by admission's safety net (`the move cannot be taken (...)`), which turns
an unexpected exception into a refusal, is counted as a crash too: the net should never
be needed. Prints the cases run and the crashes and hangs (each should be 0); exits 1
if any, after printing the smallest input for each.
"""

from __future__ import annotations

import argparse
import copy
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from models.admission import Situation, admit
from models.durations import DurationTooLong, parse_duration
from models.moves import InvalidMove, parse_move
from models.pace import PaceError, parse_pace
from models.simulation import initial_state, simulate
from models.state import state_at
from service.errors import BadUsage, exit_status
from timelines.loader import catalogue_path, load_any, load_timeline

CASE_DEADLINE_S = 5  # one input that takes longer has hung
SAFETY_NET = "the move cannot be taken ("


class Hang(Exception):
    pass


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise Hang in the case if it runs longer than `seconds`. The real-time timer is
    shared (pytest-timeout arms it too), so whatever was set is put back, less the time
    the case took."""

    def expired(signum: int, frame: object) -> None:
        raise Hang(f"no answer in {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    started = time.monotonic()
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.001))


def _owned(exc: BaseException) -> bool:
    """One of excomm's own errors: the command line says it in one line."""
    if isinstance(exc, InvalidMove):
        return not str(exc).startswith(SAFETY_NET)
    return isinstance(exc, BadUsage | PaceError | DurationTooLong) or exit_status(exc) is not None


# --- what the inputs are made of --------------------------------------------------------------

SHIPPED = ("memo", "memo-uncertain", "hotline-1962", "u2-sam-strike", "memo-1962", "october-1962")
PUNCTUATION = [*":-[]{},&*!|>'\"#%@?`\t\n ", "\x00", "\ufeff", "\u2028", "é", "💥"]
ODD_VALUES: list[object] = [
    None,
    True,
    0,
    -1,
    2**63,
    10**40,
    1e308,
    float("inf"),
    float("nan"),
    "",
    " ",
    "x" * 300,
    "1962-10-27T12:00-04:00",
    "9999-12-31T23:59+14:00",
    "0001-01-01T00:00Z",
    "1962-02-30T12:00-05:00",
    "100000000000w",
    "0s",
    "-3h",
    "1d",
    "[/bold]",
    "\x1b[31m",
    [],
    {},
    ["cuba"],
    {"kind": "incident"},
]


def _texts() -> dict[str, str]:
    return {name: catalogue_path(name).read_text() for name in SHIPPED}


def _documents(texts: dict[str, str]) -> dict[str, Any]:
    return {name: yaml.safe_load(text) for name, text in texts.items()}


def _keys_and_scalars(node: object, keys: set[str], scalars: list[object]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            keys.add(str(key))
            _keys_and_scalars(value, keys, scalars)
    elif isinstance(node, list):
        for item in node:
            _keys_and_scalars(item, keys, scalars)
    else:
        scalars.append(node)


@st.composite
def mutated_file(draw: st.DrawFn, texts: dict[str, str]) -> bytes:
    """A shipped file with a few lines dropped, doubled or swapped and a few splices."""
    lines = texts[draw(st.sampled_from(sorted(texts)))].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        match draw(st.sampled_from(["drop", "double", "swap", "splice", "number", "indent"])):
            case "drop":
                del lines[at]
            case "double":
                lines.insert(at, lines[at])
            case "swap":
                other = draw(st.integers(0, len(lines) - 1))
                lines[at], lines[other] = lines[other], lines[at]
            case "splice":
                column = draw(st.integers(0, len(lines[at])))
                junk = draw(st.text(st.sampled_from(PUNCTUATION) | st.characters(), max_size=8))
                lines[at] = lines[at][:column] + junk + lines[at][column:]
            case "number":
                digits = draw(st.sampled_from(["9" * 30, "-1", "0", "1e999", ".nan", "0x1F", "1_000"]))
                lines[at] = lines[at].rstrip("\n") + f" {digits}\n"
            case "indent":
                lines[at] = draw(st.sampled_from(["  ", "\t", " "])) + lines[at]
    raw = "".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 3)) == 0:  # now and then, cut short and ending in odd bytes
        raw = raw[: draw(st.integers(0, len(raw)))] + draw(st.binary(max_size=8))
    return raw


@st.composite
def rebuilt_document(
    draw: st.DrawFn, documents: dict[str, Any], keys: list[str], scalars: list[object]
) -> str:
    """A shipped document with some of its fields removed, added or given other values."""
    document = yaml.safe_load(yaml.safe_dump(documents[draw(st.sampled_from(sorted(documents)))]))
    # Drawn values are copied before use: the lists and mappings of ODD_VALUES are shared.
    value = st.sampled_from(ODD_VALUES) | st.sampled_from(scalars) | st.text(max_size=12) | st.integers()
    for _ in range(draw(st.integers(1, 8))):
        node: Any = document
        for _ in range(draw(st.integers(0, 5))):  # walk down a random path
            if isinstance(node, dict) and node:
                child = node[draw(st.sampled_from(sorted(node, key=str)))]
            elif isinstance(node, list) and node:
                child = node[draw(st.integers(0, len(node) - 1))]
            else:
                break
            if not isinstance(child, dict | list):
                break
            node = child
        if isinstance(node, dict):
            match draw(st.sampled_from(["remove", "add", "change"])):
                case "remove" if node:
                    del node[draw(st.sampled_from(sorted(node, key=str)))]
                case "add":
                    node[draw(st.sampled_from(keys))] = copy.deepcopy(draw(value))
                case _ if node:
                    node[draw(st.sampled_from(sorted(node, key=str)))] = copy.deepcopy(draw(value))
        elif isinstance(node, list):
            drop: bool = draw(st.booleans())
            if node and drop:
                del node[draw(st.integers(0, len(node) - 1))]
            else:
                node.append(copy.deepcopy(draw(value)))
    return yaml.safe_dump(document, allow_unicode=True)


MOVE_FIELDS = [
    "kind",
    "track",
    "answer",
    "terms",
    "channel",
    "ally",
    "incident",
    "subject",
    "at",
    "learned_at",
    "moscow_learned_at",
    "actor",
    "summary",
    "sources",
    "uncertainty",
    "provenance",
    "requires",
]
MOVE_WORDS = [
    "soviet_reply",
    "allied_answer",
    "incident",
    "cuba",
    "level",
    "berlin",
    "accept",
    "reject",
    "counter",
    "agree",
    "refuse",
    "Turkey",
    "North Atlantic Council",
    "aircraft_shot_down",
    "U-2",
    "no_invasion_pledge",
    "jupiters_withdrawn_from_turkey",
    "historical",
    "counterfactual",
    "hotline",
    "cable",
]

json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(MOVE_WORDS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
move_payload = (
    st.dictionaries(
        st.sampled_from(MOVE_FIELDS),
        st.sampled_from(MOVE_WORDS)
        | st.sampled_from(ODD_VALUES)
        | json_value
        | st.lists(st.sampled_from(MOVE_WORDS)),
        max_size=8,
    )
    | json_value
)


# What a command takes for a timeline: a catalogue name, or a path.
name_text = (
    st.text(max_size=40)
    | st.sampled_from(["memo", "october-1962", "..", ".", "/", "memo.yaml", "/dev/null", "/proc/self/status"])
    | st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-./", min_size=200, max_size=400)
)


@st.composite
def instant_text(draw: st.DrawFn) -> str:
    """An ISO 8601-ish instant, sometimes right, often not."""
    if draw(st.booleans()):
        return draw(st.text(max_size=30))
    year = draw(st.integers(-10, 100_000))
    month, day = draw(st.integers(-1, 14)), draw(st.integers(-1, 33))
    hour, minute = draw(st.integers(-1, 25)), draw(st.integers(-1, 61))
    offset = draw(st.sampled_from(["", "Z", "-04:00", "-05:00", "+14:00", "+99:00", "-24:00", "+00:00"]))
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}{offset}"


@st.composite
def pace_text(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(max_size=20))
    number = st.sampled_from(
        ["1", "0", "-1", "1.5", "36500", "1000", "1e308", "nan", "inf", "9" * 25, "0.0000001", ""]
    )
    unit = st.sampled_from(["s", "m", "h", "d", "w", "y", "", "D", " s"])
    sim = draw(number) + draw(unit)
    real = draw(number) + draw(unit)
    return draw(st.sampled_from([f"{sim}={real}", sim, "instant", "real", f"{sim}=={real}", f"={real}"]))


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Tally:
    cases: dict[str, int] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)


def _targets(folder: Path) -> list[tuple[str, Callable[[], None]]]:
    from service.inputs import instant as _instant  # the command line's own --at parser

    texts = _texts()
    documents = _documents(texts)
    keys_seen: set[str] = set()
    scalars_seen: list[object] = []
    for document in documents.values():
        _keys_and_scalars(document, keys_seen, scalars_seen)
    keys, scalars = sorted(keys_seen), scalars_seen[:500]
    file = folder / "fuzzed.yaml"
    memo = load_timeline("memo-1962")
    noon = datetime.fromisoformat("1962-10-27T12:00-04:00")
    situations = [
        Situation(memo.plan, state_at(initial_state(memo), simulate(memo), noon), noon),
        Situation(None, initial_state(load_timeline("october-1962")), noon),
    ]

    def load_bytes(raw: bytes) -> None:
        file.write_bytes(raw)
        load_any(file)

    def load_text(text: str) -> None:
        file.write_text(text)
        load_any(file)

    def pace(text: str) -> None:
        # A pace that parses must carry any span a timeline may ask of it, either way:
        # `1s=36500d` once parsed, then failed the run (OverflowError in real_delay).
        parsed = parse_pace(text)
        for days in (0.001, 1, 300, 36_600):
            parsed.simulated_span(parsed.real_delay(timedelta(days=days)))

    def move(payload: object) -> None:
        try:
            parse_move(payload)
        finally:
            for situation in situations:
                try:
                    admit(payload, situation)
                except InvalidMove as exc:
                    if str(exc).startswith(SAFETY_NET):
                        raise

    return [
        ("loader: mutated files", _property(mutated_file(texts), load_bytes)),
        (
            "loader: rebuilt documents",
            _property(rebuilt_document(documents, keys, scalars), load_text),
        ),
        ("names", _property(name_text, load_any)),
        ("moves", _property(move_payload, move)),
        ("--at", _property(instant_text(), _instant)),
        ("--pace", _property(pace_text(), pace)),
        ("durations", _property(st.text(max_size=16) | pace_text(), parse_duration)),
    ]


class _Counted:
    cases = 0
    failure: BaseException | None = None


def _property(strategy: st.SearchStrategy[Any], subject: Callable[[Any], object]) -> Callable[[], None]:
    """A batch of hypothesis examples of `subject`; raises the smallest failing input's error."""

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink),
    )
    @given(strategy)
    def check(value: Any) -> None:
        _Counted.cases += 1
        with _deadline(CASE_DEADLINE_S):
            try:
                subject(value)
            except Hang:
                raise
            except Exception as exc:
                if not _owned(exc):
                    raise

    return check


def fuzz(seconds: float, say: bool = True, turns: int | None = None) -> Tally:
    """Fuzz each kind of input in turn for `seconds`, or for `turns` batches if given."""
    tally = Tally()
    ends = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="excomm-fuzz-") as folder:
        targets = _targets(Path(folder))
        turn = 0
        while (turn < turns) if turns is not None else (time.monotonic() < ends):
            name, check = targets[turn % len(targets)]  # each in turn, in small batches
            turn += 1
            before = _Counted.cases
            try:
                check()
            except Hang as exc:
                tally.hangs.append(f"{name}: {exc}")
            except Exception as exc:
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                where = f"{Path(frame.filename).name}:{frame.lineno}"
                tally.crashes.append(f"{name}: {type(exc).__name__} at {where}: {exc}"[:500])
            tally.cases[name] = tally.cases.get(name, 0) + _Counted.cases - before
            if say:
                print(f"{name}: {tally.cases[name]} cases", flush=True)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    tally = fuzz(args.minutes * 60, say=False)
    total = sum(tally.cases.values())
    for name, cases in sorted(tally.cases.items()):
        print(f"{name}: {cases} cases")
    print(f"fuzz cases run: {total}; crashes: {len(tally.crashes)}; hangs: {len(tally.hangs)}")
    for problem in tally.crashes + tally.hangs:
        print(problem)
    raise SystemExit(0 if not tally.crashes and not tally.hangs else 1)


if __name__ == "__main__":
    main()
